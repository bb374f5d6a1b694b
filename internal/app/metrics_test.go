package app

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsSharingARegistryAreExported(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.observeEvent("push", "handled")
	if got := testutil.ToFloat64(m.events.WithLabelValues("push", "handled")); got != 1 {
		t.Fatalf("events counter = %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(reg, "contractbot_app_events_total"); err != nil || n != 1 {
		t.Fatalf("the registry exports %d series of contractbot_app_events_total (%v), want the 1 the second user counted", n, err)
	}
}
