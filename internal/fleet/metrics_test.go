package fleet

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsExportTheLatestView(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg, testRules())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Fatalf("before the first view: %d series, %v; want none", n, err)
	}
	c := NewCollector(Options{Now: fixedClock})
	for i, r := range loadResults(t) {
		if err := c.Add(r, Meta{Checked: fixedClock().Add(-time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	c.NotAService("docs")
	m.Set(c.View())
	want := `
# HELP contractbot_fleet_findings Findings over the fleet, by rule and severity.
# TYPE contractbot_fleet_findings gauge
contractbot_fleet_findings{rule="makefile.cook-image",severity="error"} 0
contractbot_fleet_findings{rule="makefile.cook-image",severity="notice"} 0
contractbot_fleet_findings{rule="makefile.cook-image",severity="warning"} 2
contractbot_fleet_findings{rule="makefile.docker-tag",severity="error"} 1
contractbot_fleet_findings{rule="makefile.docker-tag",severity="notice"} 0
contractbot_fleet_findings{rule="makefile.docker-tag",severity="warning"} 0
contractbot_fleet_findings{rule="makefile.tabs",severity="error"} 1
contractbot_fleet_findings{rule="makefile.tabs",severity="notice"} 0
contractbot_fleet_findings{rule="makefile.tabs",severity="warning"} 0
contractbot_fleet_findings{rule="soa.deploy-group",severity="error"} 2
contractbot_fleet_findings{rule="soa.deploy-group",severity="notice"} 0
contractbot_fleet_findings{rule="soa.deploy-group",severity="warning"} 0
contractbot_fleet_findings{rule="soa.monitoring",severity="error"} 0
contractbot_fleet_findings{rule="soa.monitoring",severity="notice"} 1
contractbot_fleet_findings{rule="soa.monitoring",severity="warning"} 0
# HELP contractbot_fleet_not_services Repositories found not to be PaaSTA services, not checked.
# TYPE contractbot_fleet_not_services gauge
contractbot_fleet_not_services 1
# HELP contractbot_fleet_oldest_status_timestamp_seconds When the oldest result of the latest fleet view was computed, in seconds since 1970.
# TYPE contractbot_fleet_oldest_status_timestamp_seconds gauge
contractbot_fleet_oldest_status_timestamp_seconds 1.7955882e+09
# HELP contractbot_fleet_services Services in the latest fleet view.
# TYPE contractbot_fleet_services gauge
contractbot_fleet_services 5
# HELP contractbot_fleet_services_failing Services of the latest fleet view whose check fails (a finding is an error).
# TYPE contractbot_fleet_services_failing gauge
contractbot_fleet_services_failing 2
# HELP contractbot_fleet_services_warned Services of the latest fleet view with warnings or notices but no error.
# TYPE contractbot_fleet_services_warned gauge
contractbot_fleet_services_warned 1
# HELP contractbot_fleet_updated_timestamp_seconds When the latest fleet view was made, in seconds since 1970.
# TYPE contractbot_fleet_updated_timestamp_seconds gauge
contractbot_fleet_updated_timestamp_seconds 1.7956026e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	// Rules brought to zero findings read 0, not a gap; rules of no
	// rule set and no finding are not exported.
	m.Set(Build(nil, nil, Options{}))
	zeros := `
# HELP contractbot_fleet_findings Findings over the fleet, by rule and severity.
# TYPE contractbot_fleet_findings gauge
contractbot_fleet_findings{rule="makefile.docker-tag",severity="error"} 0
contractbot_fleet_findings{rule="makefile.docker-tag",severity="notice"} 0
contractbot_fleet_findings{rule="makefile.docker-tag",severity="warning"} 0
contractbot_fleet_findings{rule="soa.deploy-group",severity="error"} 0
contractbot_fleet_findings{rule="soa.deploy-group",severity="notice"} 0
contractbot_fleet_findings{rule="soa.deploy-group",severity="warning"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(zeros), "contractbot_fleet_findings"); err != nil {
		t.Error(err)
	}
}

func TestNewMetricsTwiceSharesTheRegisteredGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := NewMetrics(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMetrics(reg, nil)
	if err != nil || a != b {
		t.Errorf("second NewMetrics: %p, %v; want the first, %p", b, err, a)
	}
}

func TestMetricsThatFollowACollectorShowItsViewAtEachScrape(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg, testRules())
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(Options{Now: fixedClock})
	m.Follow(c)
	services := func() string {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "contractbot_fleet_services" {
				return strings.TrimSpace(mf.GetMetric()[0].GetGauge().String())
			}
		}
		return "absent"
	}
	before := services()
	results := loadResults(t)
	for _, r := range results {
		if err := c.Add(r, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	after := services()
	if before == after || !strings.Contains(after, "value:"+strconv.Itoa(len(results))) {
		t.Errorf("services gauge %q before, %q after adding %d results", before, after, len(results))
	}
}
