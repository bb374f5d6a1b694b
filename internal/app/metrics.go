package app

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// register registers c with reg (when reg is not nil), or returns the
// collector already registered under its name: a collector left
// unregistered would count in silence. A previous error is passed through.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, prev error) (C, error) {
	if prev != nil || reg == nil {
		return c, prev
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
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
