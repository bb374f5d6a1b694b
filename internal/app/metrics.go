package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/contractbot/contractbot/internal/metricsutil"
)

// metrics are the App's own Prometheus collectors; the intake, the queue
// and the API client register theirs. A nil *metrics records nothing.
type metrics struct {
	events *prometheus.CounterVec
	checks *prometheus.CounterVec
	took   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contractbot_app_events_total",
			Help: "Deliveries processed by the App, by event and result (handled, ignored, bad_payload, error).",
		}, []string{"event", "result"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contractbot_app_checks_total",
			Help: "Check runs published, by outcome (ok, failed, config_error).",
		}, []string{"outcome"}),
		took: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "contractbot_app_check_duration_seconds",
			Help:    "Time from the start of a check job to its published check run.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
	}
	var err error
	m.events, err = register(reg, m.events, err)
	m.checks, err = register(reg, m.checks, err)
	m.took, err = register(reg, m.took, err)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register is metricsutil.Register that passes an earlier error through,
// so a constructor can register its collectors in a row and check once.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, prev error) (C, error) {
	if prev != nil {
		return c, prev
	}
	return metricsutil.Register(reg, c)
}

func (m *metrics) observeEvent(event, result string) {
	if m != nil {
		m.events.WithLabelValues(event, result).Inc()
	}
}

func (m *metrics) observeCheck(outcome string, took time.Duration) {
	if m != nil {
		m.checks.WithLabelValues(outcome).Inc()
		m.took.Observe(took.Seconds())
	}
}
