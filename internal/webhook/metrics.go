package webhook

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/contractbot/contractbot/internal/metricsutil"
)

// Metric names, exported so dashboards and tests refer to one spelling.
const (
	MetricDeliveries        = "contractbot_webhook_deliveries_total"         // counter{event,result}
	MetricSignatureFailures = "contractbot_webhook_signature_failures_total" // counter
	MetricAckSeconds        = "contractbot_webhook_ack_seconds"              // histogram{result}
	MetricQueuePending      = "contractbot_webhook_queue_pending"            // gauge
	MetricQueueInFlight     = "contractbot_webhook_queue_in_flight"          // gauge
	MetricQueueDead         = "contractbot_webhook_queue_dead_letters"       // gauge
	MetricQueueOldest       = "contractbot_webhook_queue_oldest_age_seconds" // gauge
	MetricTaskSeconds       = "contractbot_webhook_task_duration_seconds"    // histogram{kind}
	MetricTaskResults       = "contractbot_webhook_tasks_total"              // counter{kind,result}
	MetricTaskRetries       = "contractbot_webhook_task_retries_total"       // counter{kind}
	MetricDeadLetters       = "contractbot_webhook_dead_letters_total"       // counter{kind}
	MetricDedupePruned      = "contractbot_webhook_dedupe_pruned_total"      // counter
	MetricCommitBatch       = "contractbot_webhook_queue_commit_batch_size"  // histogram
)

// register shares collectors between components on one Registerer
// (metricsutil.Register). A conflicting registration is a programming error
// in main; the component then keeps an unregistered collector and works.
func register[C prometheus.Collector](r prometheus.Registerer, c C) C {
	c, _ = metricsutil.Register(r, c)
	return c
}

type intakeMetrics struct {
	deliveries *prometheus.CounterVec
	sigFail    prometheus.Counter
	ack        *prometheus.HistogramVec
}

func newIntakeMetrics(r prometheus.Registerer) *intakeMetrics {
	return &intakeMetrics{
		deliveries: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricDeliveries,
			Help: "Webhook deliveries received, by event and result (accepted, duplicate, ping, rejected status code, unavailable).",
		}, []string{"event", "result"})),
		sigFail: register(r, prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricSignatureFailures,
			Help: "Webhook requests refused because X-Hub-Signature-256 was missing, malformed or did not match any secret.",
		})),
		ack: register(r, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricAckSeconds,
			Help:    "Time from request start to webhook answer, including the durable enqueue.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"result"})),
	}
}

type processorMetrics struct {
	pending, inFlight, dead, oldest prometheus.Gauge
	duration                        *prometheus.HistogramVec
	results                         *prometheus.CounterVec
	retries                         *prometheus.CounterVec
	deadLetters                     *prometheus.CounterVec
}

func newProcessorMetrics(r prometheus.Registerer) *processorMetrics {
	g := func(name, help string) prometheus.Gauge {
		return register(r, prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help}))
	}
	return &processorMetrics{
		pending:  g(MetricQueuePending, "Tasks waiting in the queue, including delayed retries."),
		inFlight: g(MetricQueueInFlight, "Tasks claimed by a worker."),
		dead:     g(MetricQueueDead, "Tasks parked in the dead-letter list."),
		oldest:   g(MetricQueueOldest, "Age of the oldest pending task in seconds."),
		duration: register(r, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricTaskSeconds,
			Help:    "Handler run time per task, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}, []string{"kind"})),
		results: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricTaskResults,
			Help: "Task runs by kind and result (success, error, panic, returned).",
		}, []string{"kind", "result"})),
		retries: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricTaskRetries,
			Help: "Tasks scheduled for another attempt after an error, by kind.",
		}, []string{"kind"})),
		deadLetters: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricDeadLetters,
			Help: "Tasks dead-lettered after too many attempts or a permanent error, by kind.",
		}, []string{"kind"})),
	}
}

type boltMetrics struct {
	pruned prometheus.Counter
	batch  prometheus.Histogram
}

func newBoltMetrics(r prometheus.Registerer) *boltMetrics {
	return &boltMetrics{
		pruned: register(r, prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricDedupePruned,
			Help: "Remembered task IDs deleted after the dedupe retention.",
		})),
		batch: register(r, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricCommitBatch,
			Help:    "Enqueues committed (and fsync'd) together in one transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		})),
	}
}
