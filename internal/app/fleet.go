package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fleet"
	"github.com/contractbot/contractbot/internal/webhook"
)

// Namespaces of the fleet's records in the queue's store
// ([webhook.StateStore]): one record per service (its [fleet.Service],
// JSON), one per repository found not to be a service.
const (
	nsFleetServices    = "fleet-services"
	nsFleetNotServices = "fleet-not-services"
)

// fleetState is the fleet view behind the gauges (contractbot_fleet_*)
// and the dashboard issue: the latest result of every service, with a
// link to its check run, and the repositories onboarding found not to be
// services. With a queue that keeps state records it lives there, so it
// survives a restart and replicas sharing a PostgreSQL queue see one
// fleet; without one it is this replica's, in memory, refilled by the
// sweep after a restart.
type fleetState struct {
	rules   []*checks.Rule
	metrics *fleet.Metrics
	mem     *fleet.Collector   // when store is nil
	store   webhook.StateStore // nil: in memory
	// web is GitHub's web root (https://github.com, or a GHES host), for
	// the links to check runs.
	web  string
	dash *dashboardSchedule // nil: no dashboard
	log  zerolog.Logger

	// warned is set once a failed store write was logged, so a store that
	// is down does not log once per check.
	warned sync.Once
}

func newFleetState(reg prometheus.Registerer, rules []*checks.Rule) (*fleetState, error) {
	m, err := fleet.NewMetrics(reg, rules)
	if err != nil {
		return nil, err
	}
	f := &fleetState{rules: rules, metrics: m, mem: fleet.NewCollector(fleet.Options{Rules: rules}), log: zerolog.Nop()}
	// The view is built when /metrics is scraped, not at every check.
	m.FollowFunc(func() *fleet.View {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		v, err := f.view(ctx, fleet.Options{})
		if err != nil {
			f.log.Warn().Err(err).Msg("fleet gauges: cannot read the fleet's records")
			return nil
		}
		return v
	})
	return f, nil
}

// keep makes the store (the queue's, when it keeps state records) hold
// the fleet, with links into GitHub's web UI derived from apiURL.
func (f *fleetState) keep(store webhook.StateStore, apiURL string, log zerolog.Logger) {
	f.store, f.web, f.log = store, webRoot(apiURL), log
}

// webRoot is GitHub's web address for its API root: api.github.com is
// github.com, GHES serves its API under /api/v3 of its own host.
func webRoot(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return ""
	}
	if strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
}

// runLink is the web address of check run id of owner/repo, or "".
func (f *fleetState) runLink(owner, repo string, id int64) string {
	if f.web == "" || id == 0 {
		return ""
	}
	return f.web + "/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/runs/" + strconv.FormatInt(id, 10)
}

// add records a service's published result (its check run id of
// owner/repo) and schedules the dashboard's next edit.
func (f *fleetState) add(ctx context.Context, r *checks.Result, owner, repo string, runID int64, at time.Time) {
	if f == nil || r == nil || r.Service == "" {
		return
	}
	s, err := fleet.NewService(r, fleet.Meta{Checked: at, Link: f.runLink(owner, repo, runID)}, 0)
	if err != nil {
		return // only a result without a service is refused
	}
	if f.store == nil {
		_ = f.mem.Add(r, fleet.Meta{Checked: at, Link: s.Link})
	} else {
		rec, err := json.Marshal(s)
		if err == nil {
			err = f.store.PutState(ctx, nsFleetServices, s.Name, rec)
		}
		if err == nil {
			// A read first: most results are of services, and every write
			// is an fsync.
			var was bool
			if _, was, err = f.store.GetState(ctx, nsFleetNotServices, owner+"/"+repo); err == nil && was {
				err = f.store.DeleteState(ctx, nsFleetNotServices, owner+"/"+repo)
			}
		}
		if err != nil {
			f.warnOnce(err)
			return
		}
	}
	f.dash.schedule(ctx)
}

// notService records a repository that is not a PaaSTA service.
func (f *fleetState) notService(ctx context.Context, fullName string) {
	if f == nil {
		return
	}
	if f.store == nil {
		f.mem.NotAService(fullName)
	} else if err := f.store.PutState(ctx, nsFleetNotServices, fullName, nil); err != nil {
		f.warnOnce(err)
		return
	}
	f.dash.schedule(ctx)
}

func (f *fleetState) warnOnce(err error) {
	f.warned.Do(func() {
		f.log.Warn().Err(err).Msg("fleet view: cannot store a result in the queue's store; the gauges and the dashboard miss it until the next sweep")
	})
}

// view builds the fleet's view with o (rules are the engine's).
func (f *fleetState) view(ctx context.Context, o fleet.Options) (*fleet.View, error) {
	o.Rules = f.rules
	if f.store == nil {
		v := f.mem.View()
		return fleet.Build(v.Services, v.NotServices, o), nil
	}
	var services []fleet.Service
	err := f.store.ListState(ctx, nsFleetServices, func(key string, value []byte) error {
		var s fleet.Service
		if err := json.Unmarshal(value, &s); err != nil || s.Name == "" {
			// Fail closed: a record the App cannot read is shown, not
			// dropped, until the service's next check replaces it.
			s = fleet.Service{Name: key, Counts: fleet.Counts{Errors: 1}, Note: "contractbot cannot read its stored result; the next check replaces it"}
		}
		services = append(services, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the fleet's services: %w", err)
	}
	var not []string
	if err := f.store.ListState(ctx, nsFleetNotServices, func(key string, _ []byte) error {
		not = append(not, key)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the fleet's repositories that are not services: %w", err)
	}
	return fleet.Build(services, not, o), nil
}
