package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fleet"
)

// fleetState feeds the fleet gauges (contractbot_fleet_*): the latest
// result of every service this replica published, and the repositories
// onboarding found not to be services. It is per replica and starts
// empty at each start: the sweep refills it within a period.
type fleetState struct {
	view    *fleet.Collector
	metrics *fleet.Metrics
}

func newFleetState(reg prometheus.Registerer, rules []*checks.Rule) (*fleetState, error) {
	m, err := fleet.NewMetrics(reg, rules)
	if err != nil {
		return nil, err
	}
	f := &fleetState{view: fleet.NewCollector(fleet.Options{Rules: rules}), metrics: m}
	// The view is built when /metrics is scraped, not at every check.
	m.Follow(f.view)
	return f, nil
}

// add records a service's published result.
func (f *fleetState) add(r *checks.Result, at time.Time) {
	if f == nil || r == nil || r.Service == "" {
		return
	}
	_ = f.view.Add(r, fleet.Meta{Checked: at}) // only a result without a service is refused
}

// notService records a repository that is not a PaaSTA service.
func (f *fleetState) notService(fullName string) {
	if f == nil {
		return
	}
	f.view.NotAService(fullName)
}
