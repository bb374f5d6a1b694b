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
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.events, m.checks, m.took} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
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
