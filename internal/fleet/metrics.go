package fleet

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/metricsutil"
)

// Metrics exports the latest fleet view as Prometheus gauges, for a
// Grafana panel of the rollout over time:
//
//	contractbot_fleet_services                          services checked
//	contractbot_fleet_services_failing                  of which with an error
//	contractbot_fleet_services_warned                   of which with warnings or notices only
//	contractbot_fleet_not_services                      repositories that are not services
//	contractbot_fleet_findings{rule,severity}           findings (every known rule and severity, zeros included)
//	contractbot_fleet_updated_timestamp_seconds         when the view was made
//	contractbot_fleet_oldest_status_timestamp_seconds   when its oldest result was computed
//
// The ages are exported as timestamps, as Prometheus advises (the age is
// time() - the gauge), and only when known. Nothing is exported before
// the first [Metrics.Set]. It is safe for concurrent use.
type Metrics struct {
	rules                                  []string
	services, failing, warned, notServices *prometheus.Desc
	findings, updated, oldest              *prometheus.Desc
	mu                                     sync.Mutex
	view                                   *View
	source                                 func() *View
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics returns the fleet gauges, registered with reg (nil: not
// registered), or the ones already registered there. rules are the rule
// set whose every rule and severity is exported, zeros included, so that
// a rule brought to zero findings shows as 0 rather than as a gap.
func NewMetrics(reg prometheus.Registerer, rules []*checks.Rule) (*Metrics, error) {
	m := &Metrics{
		services:    prometheus.NewDesc("contractbot_fleet_services", "Services in the latest fleet view.", nil, nil),
		failing:     prometheus.NewDesc("contractbot_fleet_services_failing", "Services of the latest fleet view whose check fails (a finding is an error).", nil, nil),
		warned:      prometheus.NewDesc("contractbot_fleet_services_warned", "Services of the latest fleet view with warnings or notices but no error.", nil, nil),
		notServices: prometheus.NewDesc("contractbot_fleet_not_services", "Repositories found not to be PaaSTA services, not checked.", nil, nil),
		findings:    prometheus.NewDesc("contractbot_fleet_findings", "Findings over the fleet, by rule and severity.", []string{"rule", "severity"}, nil),
		updated:     prometheus.NewDesc("contractbot_fleet_updated_timestamp_seconds", "When the latest fleet view was made, in seconds since 1970.", nil, nil),
		oldest:      prometheus.NewDesc("contractbot_fleet_oldest_status_timestamp_seconds", "When the oldest result of the latest fleet view was computed, in seconds since 1970.", nil, nil),
	}
	for _, r := range rules {
		m.rules = append(m.rules, r.ID)
	}
	return metricsutil.Register(reg, m)
}

// Set makes v the view the gauges show.
func (m *Metrics) Set(v *View) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.view, m.source = v, nil
}

// Follow makes the gauges show c's view as it is at each scrape: a face
// that adds results all the time (the App) builds the view once per
// scrape, not once per result.
func (m *Metrics) Follow(c *Collector) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.view, m.source = nil, c.View
}

// FollowFunc makes the gauges show the view view returns at each scrape
// (nil: no gauges): a face that keeps its services elsewhere (the App's
// store, shared by its replicas) builds it there.
func (m *Metrics) FollowFunc(view func() *View) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.view, m.source = nil, view
}

// Describe implements [prometheus.Collector].
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.services, m.failing, m.warned, m.notServices, m.findings, m.updated, m.oldest} {
		ch <- d
	}
}

// Collect implements [prometheus.Collector].
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	v, src := m.view, m.source
	m.mu.Unlock()
	if src != nil {
		v = src()
	}
	if v == nil {
		return
	}
	gauge := func(d *prometheus.Desc, value float64, labels ...string) {
		metric, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, value, labels...)
		if err != nil {
			metric = prometheus.NewInvalidMetric(d, err)
		}
		ch <- metric
	}
	gauge(m.services, float64(v.Totals.Services))
	gauge(m.failing, float64(v.Totals.Failing))
	gauge(m.warned, float64(v.Totals.Warned))
	gauge(m.notServices, float64(len(v.NotServices)))

	byRule := map[string]Counts{}
	for _, r := range v.Rules {
		byRule[r.Rule] = r.Counts
	}
	ids := slices.Clone(m.rules)
	for id := range byRule {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := byRule[id]
		gauge(m.findings, float64(c.Errors), id, checks.SeverityError.String())
		gauge(m.findings, float64(c.Warnings), id, checks.SeverityWarning.String())
		gauge(m.findings, float64(c.Notices), id, checks.SeverityNotice.String())
	}

	if !v.Updated.IsZero() {
		gauge(m.updated, float64(v.Updated.Unix()))
	}
	var oldest time.Time
	for _, s := range v.Services {
		if !s.Checked.IsZero() && (oldest.IsZero() || s.Checked.Before(oldest)) {
			oldest = s.Checked
		}
	}
	if !oldest.IsZero() {
		gauge(m.oldest, float64(oldest.Unix()))
	}
}
