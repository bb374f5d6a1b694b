package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/webhook"
)

// Example shows the wiring of `contractbot serve`: intake, durable queue and
// workers, and the shutdown order on SIGTERM (stop accepting, then drain the
// workers, then close the queue).
func Example() {
	log := zerolog.New(os.Stdout)
	reg := prometheus.NewRegistry()
	// Shared options are accepted by OpenBolt, NewIntake and NewProcessor.
	logOpt, metricsOpt := webhook.WithLogger(log), webhook.WithMetrics(reg)

	q, err := webhook.OpenBolt(filepath.Join(os.TempDir(), "contractbot-queue.db"), logOpt, metricsOpt)
	if err != nil {
		log.Fatal().Err(err).Msg("open queue")
	}
	defer q.Close()

	intake, err := webhook.NewIntake([][]byte{[]byte(os.Getenv("CONTRACTBOT_WEBHOOK_SECRET"))}, q, logOpt, metricsOpt)
	if err != nil {
		log.Fatal().Err(err).Msg("webhook intake")
	}
	handler := webhook.HandlerFunc(func(ctx context.Context, t webhook.Task, eq webhook.Enqueuer) error {
		if t.Kind != webhook.KindDelivery {
			return nil // e.g. "check" tasks keyed "owner/repo@sha"
		}
		d, err := webhook.DecodeDelivery(t)
		if err != nil {
			return webhook.Permanent(err)
		}
		zerolog.Ctx(ctx).Info().Int("bytes", len(d.Payload)).Msg("delivery")
		return nil
	})
	proc := webhook.NewProcessor(q, handler, logOpt, metricsOpt, webhook.WithWorkers(4))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: ":8888", Handler: intake, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("http server")
			stop()
		}
	}()
	done := make(chan error, 1)
	go func() { done <- proc.Run(ctx) }()

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx) // stop accepting deliveries
	<-done                        // running tasks finished or back in the queue
}
