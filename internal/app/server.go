package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/pgqueue"
	"github.com/contractbot/contractbot/internal/redeliver"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Defaults of [Config].
const (
	DefaultAPIURL  = "https://api.github.com/"
	DefaultListen  = ":8888" // the PaaSTA contract's port
	DefaultDataDir = "./data"
	DefaultWorkers = 32
	// DefaultGitCacheBytes bounds the git mirrors' disk use.
	DefaultGitCacheBytes = "2GiB"
)

// GitDir is the directory of the git mirrors inside the data directory.
const GitDir = "git"

// QueueFile is the name of the durable queue inside the data directory.
const QueueFile = "queue.db"

// Config is everything `contractbot serve` needs.
type Config struct {
	AppID          int64
	PrivateKeyPEM  []byte
	WebhookSecrets [][]byte // any of them verifies a delivery (rotation)
	APIURL         string   // GitHub's REST API root; GHES: https://HOST/api/v3/
	Listen         string
	DataDir        string
	// QueueURL, when set (postgres://…), puts the webhook queue in
	// PostgreSQL so that several replicas share it; otherwise the queue is
	// a bbolt file in DataDir, for a single replica.
	QueueURL string
	// QueueLease is how long a replica holds a task of the PostgreSQL
	// queue before another replica may take it over (default 15 minutes):
	// the time a task of a killed replica waits. Checks are cut off at half
	// of it (at most 5 minutes), so that no task outlives its lease.
	QueueLease time.Duration
	// RedeliveryInterval is how often the reconciler reads GitHub's
	// delivery log (default 5 minutes).
	RedeliveryInterval time.Duration
	// SweepInterval is how often every installation's repositories are
	// re-checked (CONTRACTBOT_SWEEP_INTERVAL); 0 turns the sweep off.
	SweepInterval time.Duration
	// RedeliveryLookback is how far back the reconciler reads when the
	// queue holds no record of a completed pass, and the most it reads
	// back after an outage (default and maximum: GitHub's 72 hours).
	RedeliveryLookback time.Duration
	// RedeliveryMax is the most redeliveries one reconciler pass asks for
	// (default 100).
	RedeliveryMax int
	// GitHubTimeout bounds one attempt of a GitHub API request (default
	// 10 s).
	GitHubTimeout time.Duration
	SOARepo       string // "owner/name", or ""
	// GitCacheBytes bounds the disk of the git mirrors in DataDir/git
	// through which the soa repository is read; 0 reads everything
	// through the REST API.
	GitCacheBytes int64
	// ServiceRepos maps services to their repositories where neither
	// service.yaml's git_url nor the service's name finds them:
	// "svc=owner/repo,…" (CONTRACTBOT_SERVICE_REPOS).
	ServiceRepos string
	// PaastaConfig is the directory of PaaSTA's system configuration
	// (CONTRACTBOT_PAASTA_CONFIG), or "".
	PaastaConfig string
	Workers      int // check jobs run at once
	UserAgent    string
	Logger       zerolog.Logger

	// DashboardOff turns the dashboard issue off
	// (CONTRACTBOT_DASHBOARD=off); DashboardInterval is the least time
	// between two of its edits (default [DefaultDashboardInterval]).
	DashboardOff      bool
	DashboardInterval time.Duration

	// DeployRefAction is what the deploy-ref guard does with a malformed
	// PaaSTA tag: RefActionReport (the default) or RefActionDelete.
	DeployRefAction string
	// Images, when set, is the Docker registry a deploy tag's image must
	// be in.
	Images checks.Images

	// FixPullRequests turns fix pull requests on for every repository
	// whose .contractbot.yaml does not turn them off; FixPRsPerHour is
	// how many fix pull request jobs one installation runs an hour after
	// a burst (default DefaultFixPRsPerHour).
	FixPullRequests bool
	FixPRsPerHour   int
	// SOAFixPullRequests is how the soa repository's fix pull requests
	// are cut: SOAFixPerService (the default, one per service directory)
	// or SOAFixPerPush (one rolling pull request for what pushes broke).
	SOAFixPullRequests string

	// Transport, when set, carries every GitHub API request (tests).
	Transport http.RoundTripper
	// OnListen, when set, is called with the address the server listens
	// on, once it accepts connections.
	OnListen func(net.Addr)
}

func (c *Config) setDefaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
}

// Validate reports the first setting that keeps the App from starting, as
// a one-line message that names the environment variable to fix.
func (c Config) Validate() error {
	switch {
	case c.AppID <= 0:
		return errors.New("CONTRACTBOT_APP_ID must be the App's numeric id")
	case len(c.PrivateKeyPEM) == 0:
		return errors.New("CONTRACTBOT_PRIVATE_KEY_FILE or CONTRACTBOT_PRIVATE_KEY must hold the App's private key (PEM)")
	case len(c.WebhookSecrets) == 0:
		return errors.New("CONTRACTBOT_WEBHOOK_SECRET is empty: refusing to accept unsigned webhooks")
	}
	for i, s := range c.WebhookSecrets {
		if len(s) == 0 {
			return fmt.Errorf("CONTRACTBOT_WEBHOOK_SECRET: secret %d of %d is empty", i+1, len(c.WebhookSecrets))
		}
	}
	if a := c.DeployRefAction; a != "" && a != RefActionReport && a != RefActionDelete {
		return fmt.Errorf("CONTRACTBOT_DEPLOY_REF_ACTION is %q; want report or delete", a)
	}
	if m := c.SOAFixPullRequests; m != "" && m != SOAFixPerService && m != SOAFixPerPush {
		return fmt.Errorf("CONTRACTBOT_SOA_FIX_PULL_REQUESTS is %q; want per-service or per-push", m)
	}
	if c.SOARepo != "" {
		o, n, ok := strings.Cut(c.SOARepo, "/")
		if !ok || o == "" || n == "" || strings.Contains(n, "/") {
			return fmt.Errorf("CONTRACTBOT_SOA_REPO is %q; want owner/name", c.SOARepo)
		}
	}
	return nil
}

// Serve runs the App until ctx is done: the webhook intake, the check
// workers and the health, readiness and metrics endpoints. On return the
// HTTP server is shut down, running checks have finished or gone back to
// the queue, and the queue is closed.
func Serve(ctx context.Context, cfg Config) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := cfg.Logger

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := newMetrics(reg)
	if err != nil {
		return err
	}

	ghOpts := []ghclient.Option{ghclient.WithMetrics(reg), ghclient.WithLogger(log)}
	if cfg.UserAgent != "" {
		ghOpts = append(ghOpts, ghclient.WithUserAgent(cfg.UserAgent))
	}
	if cfg.Transport != nil {
		ghOpts = append(ghOpts, ghclient.WithTransport(cfg.Transport))
	}
	if cfg.GitHubTimeout > 0 {
		ghOpts = append(ghOpts, ghclient.WithTimeout(cfg.GitHubTimeout))
	}
	mm, err := newMirrorManager(cfg, log)
	if err != nil {
		return err
	}
	if mm != nil {
		// With mirrors, a tree GitHub truncates is read through git at
		// once: a few requests, where completing it sub-tree by sub-tree
		// could take thousands (mirror.go).
		ghOpts = append(ghOpts, ghclient.WithMaxTreeRequests(0))
	}
	apps, err := ghclient.NewApps(cfg.AppID, cfg.PrivateKeyPEM, cfg.APIURL, ghOpts...)
	if err != nil {
		return fmt.Errorf("github app: %w", err)
	}
	engine, err := checks.NewEngine(checks.All())
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}

	shared := []webhook.SharedOption{webhook.WithLogger(log), webhook.WithMetrics(reg)}
	q, leader, err := openQueue(ctx, cfg, shared)
	if err != nil {
		return err
	}
	defer q.Close()
	intake, err := webhook.NewIntake(cfg.WebhookSecrets, q, shared[0], shared[1])
	if err != nil {
		return err
	}

	base := &Base{AppID: cfg.AppID, SOARepo: cfg.SOARepo, state: newState()}
	clients := AppsClients{Apps: apps}
	fleetGauges, err := newFleetState(reg, engine.Rules())
	if err != nil {
		return err
	}
	checker := &Checker{Base: base, Clients: clients, Engine: engine, metrics: m, fleet: fleetGauges}
	if mm != nil {
		defer mm.Close()
		checker.SetMirrors(mm)
		if err := registerMirrorMetrics(reg, mm); err != nil {
			return err
		}
	}
	if cfg.PaastaConfig != "" {
		if st, err := os.Stat(cfg.PaastaConfig); err != nil || !st.IsDir() {
			return fmt.Errorf("CONTRACTBOT_PAASTA_CONFIG %s: not a directory", cfg.PaastaConfig)
		}
		checker.PaastaConfig = os.DirFS(cfg.PaastaConfig)
	}
	handler, err := NewHandler(checker,
		PushHandler{base}, PullRequestHandler{base}, CheckSuiteHandler{base}, CheckRunHandler{base},
		InstallationHandler{Base: base, Clients: clients}, PingHandler{base}, RefGuardHandler{base})
	if err != nil {
		return err
	}
	guard, err := NewRefGuard(checker, cfg.DeployRefAction, cfg.Images, reg)
	if err != nil {
		return err
	}
	if err := handler.Register(KindReview, (&Reviewer{Checker: checker}).Run); err != nil {
		return err
	}
	if err := handler.Register(KindRefGuard, guard.Run); err != nil {
		return err
	}
	if err := handler.Register(KindDashboard, setupDashboard(cfg, q, checker, fleetGauges).Run); err != nil {
		return err
	}
	checker.fixPRs = &FixPRs{Checker: checker, Org: cfg.FixPullRequests, PerHour: float64(cfg.FixPRsPerHour), Burst: DefaultFixPRBurst}
	checker.fixPRs.PerPush, checker.fixPRs.Store = cfg.SOAFixPullRequests == SOAFixPerPush, stateStore(q)
	if err := handler.RegisterEnqueuing(KindFixPR, checker.fixPRs.Run); err != nil {
		return err
	}
	onboard, err := NewOnboarder(checker, reg)
	if err != nil {
		return err
	}
	if onboard.ServiceRepos, err = parseServiceRepos(cfg.ServiceRepos); err != nil {
		return err
	}
	if err := handler.RegisterEnqueuing(KindRecheck, onboard.RunRecheck); err != nil {
		return err
	}
	if err := handler.RegisterEnqueuing(KindOnboard, onboard.RunPage); err != nil {
		return err
	}
	if err := handler.RegisterEnqueuing(KindOnboardRepo, onboard.RunRepo); err != nil {
		return err
	}
	procOpts := []webhook.ProcessorOption{webhook.WithWorkers(cfg.Workers), shared[0], shared[1]}
	if l := cfg.QueueLease; cfg.QueueURL != "" && l > 0 && l < 15*time.Minute {
		// A task still running when its lease runs out would run twice at
		// once; the defaults (5 min per task, 25 s of drain) fit in 15 min.
		procOpts = append(procOpts, webhook.WithTaskTimeout(min(5*time.Minute, l/2)), webhook.WithDrainTimeout(min(25*time.Second, l/3)))
	}
	proc := webhook.NewProcessor(q, handler, procOpts...)

	var verified atomic.Bool
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", intake)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !verified.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: GitHub has not accepted the App's credentials yet")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // GitHub sends at most 25 MiB
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	// GitHub never retries a delivery that failed (the App was down, or
	// answered 503); the reconciler asks it to redeliver those from its
	// delivery log. It needs a queue that can say which GUIDs it has seen.
	if store, ok := any(q).(redeliver.Store); ok {
		rec := redeliver.New(apps, store, leader, redeliver.Config{Log: log, Metrics: reg, Interval: cfg.RedeliveryInterval,
			Lookback: cfg.RedeliveryLookback, MaxRedeliveries: cfg.RedeliveryMax})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = rec.Run(runCtx) // it logs its own failures and keeps going
		}()
	} else {
		log.Warn().Msg("the webhook queue cannot tell which deliveries it has seen: missed deliveries are not redelivered")
	}
	if cfg.SweepInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			onboard.Sweep(log.WithContext(runCtx), q, cfg.SweepInterval)
		}()
	}
	// The PostgreSQL queue forgets delivery GUIDs past the dedupe window
	// only when asked; the bbolt queue prunes by itself.
	if p, ok := q.(interface {
		Prune(context.Context) (int64, error)
	}); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			for {
				if n, err := p.Prune(runCtx); err != nil && runCtx.Err() == nil {
					log.Warn().Err(err).Msg("webhook queue: prune")
				} else if n > 0 {
					log.Info().Int64("pruned", n).Msg("webhook queue: forgot delivery ids past the dedupe window")
				}
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	errc := make(chan error, 2)
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := proc.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("processor: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		verify(runCtx, apps, &verified, log)
		// The bot's login comes from GET /app, which Verify reads; it lets
		// the handlers ignore the App's own events.
		if slug := apps.Slug(); slug != "" {
			base.SetBotLogin(slug + "[bot]")
		}
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	log.Info().Str("addr", ln.Addr().String()).Int64("app_id", cfg.AppID).Str("api_url", cfg.APIURL).
		Str("soa_repo", cfg.SOARepo).Int("workers", cfg.Workers).Msg("contractbot serve listening")
	if cfg.OnListen != nil {
		cfg.OnListen(ln.Addr())
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
	case runErr = <-errc:
		log.Error().Err(runErr).Msg("shutting down after an error")
	}
	// Stop taking deliveries first, then let the workers finish or hand
	// their tasks back to the queue; the deferred Close comes last.
	// The workers start draining (25 s at most) while the HTTP server stops
	// (10 s at most), not after it, so the whole shutdown fits in the 25 s
	// that a SIGTERM grants. Deliveries that arrive meanwhile are still
	// stored; the next process runs them.
	cancel()
	shutCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn().Err(err).Msg("http shutdown")
	}
	wg.Wait()
	return runErr
}

// verify asks GitHub to accept the App's credentials until it does or ctx
// is done; /readyz reports ready from then on.
func verify(ctx context.Context, apps *ghclient.Apps, ok *atomic.Bool, log zerolog.Logger) {
	delay := time.Second
	for {
		err := apps.Verify(ctx)
		if err == nil {
			ok.Store(true)
			log.Info().Msg("GitHub accepted the App's credentials")
			return
		}
		log.Warn().Err(err).Dur("retry_in", delay).Msg("GitHub App credentials not accepted yet")
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}

// openQueue opens the webhook queue: PostgreSQL when cfg.QueueURL is set
// (several replicas, with the redelivery reconciler led by one of them at a
// time), otherwise a bbolt file in the data directory (one replica, which
// always leads).
func openQueue(ctx context.Context, cfg Config, shared []webhook.SharedOption) (webhook.Queue, redeliver.Leader, error) {
	if cfg.QueueURL != "" {
		var opts []pgqueue.Option
		if cfg.QueueLease > 0 {
			opts = append(opts, pgqueue.WithLease(cfg.QueueLease))
		}
		q, err := pgqueue.Open(ctx, cfg.QueueURL, opts...)
		if err != nil {
			return nil, nil, err
		}
		return q, q, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	q, err := webhook.OpenBolt(filepath.Join(cfg.DataDir, QueueFile), shared[0], shared[1])
	if errors.Is(err, webhook.ErrDamaged) {
		return nil, nil, fmt.Errorf("%w; refusing to start on it: `contractbot queue --data-dir %s salvage` copies the tasks that can still be read into a new file", err, cfg.DataDir)
	}
	if err != nil {
		return nil, nil, err
	}
	return q, redeliver.Always{}, nil
}
