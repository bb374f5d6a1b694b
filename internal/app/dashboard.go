package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/fleet"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// The dashboard: one issue in the soa repository, "PaaSTA contract
// dashboard", created once and edited in place (like Renovate's
// Dependency Dashboard) with the fleet's view: totals by rule and
// severity, the failing services with their top findings and links to
// their check runs, what changed since the last edit, and when it was
// made (internal/fleet renders it within GitHub's body limit).
//
// Edits are coalesced: a new result schedules a [KindDashboard] task for
// the end of the current interval, whose ID names the interval, so the
// queue keeps one per interval however many results come in (and however
// many replicas schedule it); the task is durable, so a crash loses no
// edit. The task edits nothing when the fleet is as the last edit showed
// it. The issue's number and the view it shows are kept in the queue's
// store; when that record is missing, the issue is looked for among the
// App's own issues before one is created, and a create whose answer was
// lost is looked up rather than sent again, so there are never two.
const KindDashboard = "dashboard"

// DefaultDashboardInterval is the least time between two edits of the
// dashboard issue (CONTRACTBOT_DASHBOARD_INTERVAL).
const DefaultDashboardInterval = 5 * time.Minute

// nsDashboard holds the dashboard's record (key recDashboard).
const (
	nsDashboard  = "dashboard"
	recDashboard = "issue"
)

// DashboardClient is what the dashboard needs from GitHub.
type DashboardClient interface {
	Issues(ctx context.Context, owner, repo, creator string) ([]ghclient.Issue, error)
	CreateIssue(ctx context.Context, owner, repo, title, body string, look func(context.Context) (int, error)) (int, error)
	UpdateIssueBody(ctx context.Context, owner, repo string, number int, body string) error
}

// dashboardRecord is what the store keeps of the dashboard.
type dashboardRecord struct {
	// Repo is the soa repository the issue is in: a record of another
	// one (CONTRACTBOT_SOA_REPO changed) is not used.
	Repo   string `json:"repo"`
	Number int    `json:"number"`
	// Fingerprint is the hash of what the last edit showed, without
	// its times and links (see dashboardFingerprint).
	Fingerprint string `json:"fingerprint,omitempty"`
	// View is the last edit's view, trimmed to what the next view's
	// changes are computed from.
	View *fleet.View `json:"view,omitempty"`
}

// dashboardSchedule enqueues the dashboard's task of the current
// interval.
type dashboardSchedule struct {
	q        Enqueuer
	interval time.Duration
	now      func() time.Time
	log      zerolog.Logger

	mu sync.Mutex
	// last is the interval this replica enqueued the task of, so that
	// the results of one interval cost one Enqueue, not one each.
	last int64
}

// schedule enqueues the task of the current interval, due at its end.
func (d *dashboardSchedule) schedule(ctx context.Context) {
	if d == nil {
		return
	}
	now := time.Now()
	if d.now != nil {
		now = d.now()
	}
	p := now.Truncate(d.interval)
	d.mu.Lock()
	done := d.last == p.UnixNano()
	d.mu.Unlock()
	if done {
		return
	}
	id := KindDashboard + "/" + strconv.FormatInt(p.UnixMilli(), 10)
	t := webhook.Task{ID: id, Key: KindDashboard, Kind: KindDashboard, Payload: []byte("{}"), NotBefore: p.Add(d.interval)}
	if _, err := d.q.Enqueue(ctx, t); err != nil {
		d.log.Warn().Err(err).Msg("dashboard: cannot schedule its edit; the next result tries again")
		return
	}
	d.mu.Lock()
	d.last = p.UnixNano()
	d.mu.Unlock()
}

// Dashboard runs the [KindDashboard] tasks.
type Dashboard struct {
	*Checker
	// Off is CONTRACTBOT_DASHBOARD=off: tasks left from a run with the
	// dashboard on are dropped.
	Off   bool
	store webhook.StateStore
}

// Run runs a [KindDashboard] task: it edits the dashboard issue, or
// creates it, unless the fleet is as the issue shows it.
func (d *Dashboard) Run(ctx context.Context, _ webhook.Task) error {
	owner, name, ok := strings.Cut(d.SOARepo, "/")
	if d.Off || !ok || d.store == nil || d.fleet == nil {
		return nil
	}
	log := zerolog.Ctx(ctx).With().Str("soa_repo", d.SOARepo).Logger()
	var rec dashboardRecord
	raw, found, err := d.store.GetState(ctx, nsDashboard, recDashboard)
	if err != nil {
		return fmt.Errorf("dashboard record: %w", err)
	}
	if found {
		if err := json.Unmarshal(raw, &rec); err != nil {
			log.Warn().Err(err).Msg("dashboard: its stored record is unreadable; looking for the issue again")
			rec = dashboardRecord{}
		}
	}
	if !strings.EqualFold(rec.Repo, d.SOARepo) {
		rec = dashboardRecord{Repo: d.SOARepo}
	}
	v, err := d.fleet.view(ctx, fleet.Options{Previous: rec.View, Now: d.clock})
	if err != nil {
		return err
	}
	fp := dashboardFingerprint(v)
	if rec.Number != 0 && rec.Fingerprint == fp {
		log.Debug().Int("issue", rec.Number).Msg("dashboard: the fleet is as the issue shows it; no edit")
		return nil
	}
	inst, err := d.Clients.RepoInstallation(ctx, owner, name)
	if ghclient.IsNotFound(err) {
		log.Warn().Msg("dashboard off: the App is not installed on the soa repository, so it has nowhere to put the dashboard issue")
		return nil
	}
	if err != nil {
		return fmt.Errorf("installation of %s: %w", d.SOARepo, err)
	}
	client, err := d.Clients.Installation(ctx, inst)
	if err != nil {
		return fmt.Errorf("installation %d: %w", inst, err)
	}
	body := fleet.Markdown(v, fleet.Options{Rules: d.fleet.rules})
	number, err := d.publish(ctx, client, owner, name, rec.Number, body)
	if ghclient.IsForbidden(err) {
		log.Warn().Err(err).Msg("dashboard off: GitHub refuses the App the soa repository's issues; grant the App the issues: write permission (app.yml) and accept it on the installation; the next result tries again")
		return nil
	}
	if err != nil {
		return permanentIfHopeless(err)
	}
	rec = dashboardRecord{Repo: d.SOARepo, Number: number, Fingerprint: fp, View: trimView(v)}
	if raw, err = json.Marshal(rec); err == nil {
		err = d.store.PutState(ctx, nsDashboard, recDashboard, raw)
	}
	if err != nil {
		// The issue is edited; the next task finds it by its marker.
		log.Warn().Err(err).Int("issue", number).Msg("dashboard: cannot store its record")
	}
	log.Info().Int("issue", number).Int("services", v.Totals.Services).Int("failing", v.Totals.Failing).
		Int("body_chars", len(body)).Msg("dashboard updated")
	return nil
}

// publish edits issue number (0: unknown) with body, or finds the App's
// dashboard issue and edits it, or creates it; it returns the issue's
// number.
func (d *Dashboard) publish(ctx context.Context, client DashboardClient, owner, name string, number int, body string) (int, error) {
	if number != 0 {
		err := client.UpdateIssueBody(ctx, owner, name, number, body)
		if !gone(err) {
			return number, err
		}
		// Deleted or transferred: look for another, or create one.
	}
	look := func(ctx context.Context) (int, error) { return d.find(ctx, client, owner, name) }
	number, err := look(ctx)
	if err != nil {
		return 0, err
	}
	if number != 0 {
		return number, client.UpdateIssueBody(ctx, owner, name, number, body)
	}
	return client.CreateIssue(ctx, owner, name, fleet.DefaultTitle, body, look)
}

// gone reports whether an edit failed because the issue is no longer
// there (404, or 410 for a deleted issue).
func gone(err error) bool {
	var apiErr *ghclient.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusNotFound || apiErr.StatusCode == http.StatusGone)
}

// find returns the number of the App's dashboard issue in owner/name, or
// 0: an issue the App's bot opened that carries the dashboard's marker or
// title, the oldest open one first, else the oldest closed one (someone
// closed it: it is edited still, not doubled).
func (d *Dashboard) find(ctx context.Context, client DashboardClient, owner, name string) (int, error) {
	l := d.botLogin.Load()
	if l == nil || *l == "" {
		// Any bot's issue of the dashboard's title could be taken for
		// the App's, and edited over: wait for GET /app to name it.
		return 0, errBotLoginUnknown
	}
	login := *l
	issues, err := client.Issues(ctx, owner, name, login)
	if err != nil {
		return 0, err
	}
	var open, closed []int
	for _, is := range issues {
		if !strings.EqualFold(is.User, login) || (!strings.Contains(is.Body, fleet.DashboardMarker) && is.Title != fleet.DefaultTitle) {
			continue
		}
		if is.State == "open" {
			open = append(open, is.Number)
		} else {
			closed = append(closed, is.Number)
		}
	}
	for _, l := range [][]int{open, closed} {
		if len(l) > 0 {
			return slices.Min(l), nil
		}
	}
	return 0, nil
}

// errBotLoginUnknown is find's answer before the App knows its bot's
// login; the task is tried again.
var errBotLoginUnknown = errors.New("the App's bot login is not known yet (GET /app has not answered), so its dashboard issue cannot be told from another's")

// dashboardFingerprint hashes what the dashboard shows of v, without
// when it was made, when each service was checked and the links to the
// check runs (a sweep re-checks every service and changes those alone):
// the same fingerprint, no edit.
func dashboardFingerprint(v *fleet.View) string {
	type shown struct {
		Services    []fleet.Service `json:"services"`
		NotServices []string        `json:"not_services"`
	}
	s := shown{Services: make([]fleet.Service, len(v.Services)), NotServices: v.NotServices}
	for i, svc := range v.Services {
		svc.Checked, svc.Link = time.Time{}, ""
		s.Services[i] = svc
	}
	b, _ := json.Marshal(s) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// trimView keeps of v what [fleet.Diff] reads: 5,000 services' names and
// verdicts, not their findings.
func trimView(v *fleet.View) *fleet.View {
	t := &fleet.View{Updated: v.Updated, Totals: v.Totals, Rules: v.Rules, Services: make([]fleet.Service, len(v.Services))}
	for i, s := range v.Services {
		t.Services[i] = fleet.Service{Name: s.Name, OK: s.OK}
	}
	return t
}

// setupDashboard keeps the fleet in the queue's store and returns the
// dashboard's job, scheduled by new results unless it is off.
func setupDashboard(cfg Config, q webhook.Queue, c *Checker, f *fleetState) *Dashboard {
	log := cfg.Logger
	store, _ := q.(webhook.StateStore)
	if store != nil {
		f.keep(store, cfg.APIURL, log)
	}
	d := &Dashboard{Checker: c, Off: cfg.DashboardOff, store: store}
	switch {
	case cfg.DashboardOff:
		log.Info().Msg("dashboard off (CONTRACTBOT_DASHBOARD=off)")
	case cfg.SOARepo == "":
		d.Off = true
		log.Info().Msg("dashboard off: no soa repository (CONTRACTBOT_SOA_REPO) to put its issue in")
	case store == nil:
		d.Off = true
		log.Warn().Msg("dashboard off: the webhook queue keeps no state records")
	default:
		interval := cfg.DashboardInterval
		if interval <= 0 {
			interval = DefaultDashboardInterval
		}
		f.dash = &dashboardSchedule{q: q, interval: interval, log: log}
	}
	return d
}
