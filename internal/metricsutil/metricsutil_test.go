package metricsutil

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterSharesTheCollectorAlreadyThere(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := prometheus.CounterOpts{Name: "x_total", Help: "x"}
	first, err := Register(reg, prometheus.NewCounter(opts))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Register(reg, prometheus.NewCounter(opts))
	if err != nil || second != first {
		t.Fatalf("second registration = %v, %v; want the first collector", second, err)
	}
	second.Inc()
	mfs, _ := reg.Gather()
	if got := mfs[0].GetMetric()[0].GetCounter().GetValue(); got != 1 {
		t.Fatalf("exported %v, want the increment through the shared collector", got)
	}
	if _, err := Register(reg, prometheus.NewCounterVec(opts, []string{"l"})); err == nil {
		t.Fatal("a conflicting registration was accepted")
	}
	if c, err := Register[prometheus.Counter](nil, first); err != nil || c != first {
		t.Fatal("a nil registry did not pass the collector through")
	}
}
