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
	return &fleetState{view: fleet.NewCollector(fleet.Options{Rules: rules}), metrics: m}, nil
}

// add records a service's published result.
func (f *fleetState) add(r *checks.Result, at time.Time) {
	if f == nil || r == nil || r.Service == "" {
		return
	}
	if f.view.Add(r, fleet.Meta{Checked: at}) == nil {
		f.metrics.Set(f.view.View())
	}
}

// notService records a repository that is not a PaaSTA service.
func (f *fleetState) notService(fullName string) {
	if f == nil {
		return
	}
	f.view.NotAService(fullName)
	f.metrics.Set(f.view.View())
}
