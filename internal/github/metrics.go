package github

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/contractbot/contractbot/internal/metricsutil"
)

// metrics are the client's Prometheus collectors. Installation ids are a
// label only on the rate-limit gauge, whose series are deleted by
// [Apps.Forget]; request counters stay low-cardinality.
type metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	remaining *prometheus.GaugeVec
	limit     *prometheus.GaugeVec
	retries   *prometheus.CounterVec
	caches    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contractbot_github_requests_total",
			Help: "GitHub API requests (attempts) by method and status class (2xx, 3xx, 4xx, 5xx, error).",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contractbot_github_request_duration_seconds",
			Help:    "Latency of GitHub API attempts until response headers.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "contractbot_github_ratelimit_remaining",
			Help: "x-ratelimit-remaining of the last GitHub response, per installation (\"app\" for JWT calls) and resource.",
		}, []string{"installation", "resource"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "contractbot_github_ratelimit_limit",
			Help: "x-ratelimit-limit of the last GitHub response, per installation and resource.",
		}, []string{"installation", "resource"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contractbot_github_retries_total",
			Help: "GitHub request retries and give-ups by reason (5xx, connection, ratelimit, ratelimit_giveup).",
		}, []string{"reason"}),
		caches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contractbot_github_cache_lookups_total",
			Help: "Cache lookups by cache (blob, etag) and result (hit, miss).",
		}, []string{"cache", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.requests, err = register(reg, m.requests, err)
	m.duration, err = register(reg, m.duration, err)
	m.remaining, err = register(reg, m.remaining, err)
	m.limit, err = register(reg, m.limit, err)
	m.retries, err = register(reg, m.retries, err)
	m.caches, err = register(reg, m.caches, err)
	if err != nil {
		return nil, fmt.Errorf("register github metrics: %w", err)
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

func (m *metrics) observe(method string, resp *http.Response, err error, d time.Duration) {
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	m.requests.WithLabelValues(method, code).Inc()
	m.duration.WithLabelValues(method).Observe(d.Seconds())
}

func (m *metrics) rateLimit(label string, h http.Header) {
	res := h.Get("X-Ratelimit-Resource")
	if res == "" {
		res = "core"
	}
	if v, err := strconv.ParseFloat(h.Get("X-Ratelimit-Remaining"), 64); err == nil {
		m.remaining.WithLabelValues(label, res).Set(v)
	}
	if v, err := strconv.ParseFloat(h.Get("X-Ratelimit-Limit"), 64); err == nil {
		m.limit.WithLabelValues(label, res).Set(v)
	}
}

func (m *metrics) forget(label string) {
	m.remaining.DeletePartialMatch(prometheus.Labels{"installation": label})
	m.limit.DeletePartialMatch(prometheus.Labels{"installation": label})
}

func (m *metrics) retry(reason string) { m.retries.WithLabelValues(reason).Inc() }

func (m *metrics) cache(name string, hit bool) {
	r := "miss"
	if hit {
		r = "hit"
	}
	m.caches.WithLabelValues(name, r).Inc()
}
