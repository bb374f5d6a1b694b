package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fleet"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/pgqueue"
	"github.com/contractbot/contractbot/internal/pgtest"
	"github.com/contractbot/contractbot/internal/webhook"
)

// dashboardRig is a dashboard job over the fake GitHub and a real bbolt
// store, run in process.
type dashboardRig struct {
	fake  *githubfake.Server
	store *webhook.BoltQueue
	fleet *fleetState
	dash  *Dashboard
}

func newDashboardRig(t *testing.T) *dashboardRig {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddInstallation(7, "acme")
	fake.Push("acme", "soa", "main", map[string]string{"README": "soa\n"})
	fake.GrantPermission(7, "issues", "write")
	apps, err := ghclient.NewApps(fake.AppID(), fake.PrivateKeyPEM(), fake.URL(), ghclient.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	store, err := webhook.OpenBolt(filepath.Join(t.TempDir(), QueueFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f, err := newFleetState(nil, checks.All())
	if err != nil {
		t.Fatal(err)
	}
	f.keep(store, fake.URL(), zerolog.Nop())
	base := &Base{AppID: fake.AppID(), SOARepo: "acme/soa", state: newState()}
	base.SetBotLogin("contractbot-fake[bot]")
	c := &Checker{Base: base, Clients: AppsClients{Apps: apps}, fleet: f}
	return &dashboardRig{fake: fake, store: store, fleet: f, dash: &Dashboard{Checker: c, store: store}}
}

// services stores n results, every third failing with long findings.
func (r *dashboardRig) services(t *testing.T, n int, failing func(i int) bool) {
	t.Helper()
	long := strings.Repeat("a long message about a broken contract, ", 30)
	// As the App's workers do: 32 at once, so the store batches the
	// writes.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	defer wg.Wait()
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.add(t, i, failing(i), long)
		}()
	}
}

// add stores service i's result: failing, six long errors.
func (r *dashboardRig) add(t *testing.T, i int, failing bool, long string) {
	res := &checks.Result{Service: fmt.Sprintf("service-%05d", i), OK: true, Findings: []checks.Finding{}}
	if failing {
		res.OK = false
		for j := range 6 {
			res.Findings = append(res.Findings, checks.Finding{RuleID: fmt.Sprintf("soa.rule-%02d", (i+j)%40),
				Severity: checks.SeverityError, Path: "svc/kubernetes-prod.yaml", Line: j + 1, EndLine: j + 1, Message: long})
		}
	}
	r.fleet.add(t.Context(), res, "acme", res.Service, int64(1000+i), time.Unix(1_800_000_000, 0))
}

func (r *dashboardRig) run(t *testing.T) []githubfake.Issue {
	t.Helper()
	if err := r.dash.Run(t.Context(), webhook.Task{ID: "dashboard/1", Kind: KindDashboard}); err != nil {
		t.Fatal(err)
	}
	return r.fake.Issues("acme", "soa")
}

func TestDashboard(t *testing.T) {
	third := func(i int) bool { return i%3 == 0 }
	t.Run("5,000 services, a third failing, fit one issue within GitHub's limit", func(t *testing.T) {
		r := newDashboardRig(t)
		r.services(t, 5000, third)
		is := r.run(t)
		if len(is) != 1 {
			t.Fatalf("%d issues, want 1", len(is))
		}
		body := is[0].Body
		if n := utf8.RuneCountInString(body); n > fleet.MaxIssueBodyChars {
			t.Errorf("body of %d characters", n)
		}
		for _, want := range []string{"**1667 of 5000 services break the PaaSTA contract.**", "/acme/service-00000/runs/1000", "lists every service"} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q in the body", want)
			}
		}
	})
	t.Run("a fleet as the issue shows it is not edited again, whatever the times and links", func(t *testing.T) {
		r := newDashboardRig(t)
		r.services(t, 3, third)
		r.run(t)
		r.services(t, 3, third) // a sweep: new runs, new times, same results
		if is := r.run(t); len(is) != 1 || is[0].Edits != 0 {
			t.Fatalf("issues %+v, want one, never edited", is)
		}
		r.services(t, 3, func(int) bool { return false })
		is := r.run(t)
		if len(is) != 1 || is[0].Edits != 1 || !strings.Contains(is[0].Body, "Fixed (1)") {
			t.Fatalf("after a fix: %+v, want one issue edited once, naming the fix", is)
		}
	})
	t.Run("with its record lost, the issue is found by the App's login and edited, not doubled", func(t *testing.T) {
		r := newDashboardRig(t)
		r.services(t, 3, third)
		first := r.run(t)[0].Number
		if err := r.store.DeleteState(t.Context(), nsDashboard, recDashboard); err != nil {
			t.Fatal(err)
		}
		r.services(t, 3, func(int) bool { return false })
		is := r.run(t)
		if len(is) != 1 || is[0].Number != first || is[0].Edits != 1 {
			t.Fatalf("issues %+v, want issue %d alone, edited", is, first)
		}
	})
	t.Run("someone else's issue of the same title is not taken for the dashboard", func(t *testing.T) {
		r := newDashboardRig(t)
		theirs := r.fake.CreateIssueAs("acme", "soa", "octocat", fleet.DefaultTitle, "my own notes")
		r.services(t, 3, third)
		is := r.run(t)
		if len(is) != 2 || is[0].Number != theirs || is[0].Body != "my own notes" || is[1].User != "contractbot-fake[bot]" {
			t.Fatalf("issues %+v, want octocat's untouched and the App's own", is)
		}
	})
	t.Run("a create whose answer was lost is looked up, not sent again", func(t *testing.T) {
		r := newDashboardRig(t)
		r.services(t, 3, third)
		r.fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "issues/create", After: true, Status: 502})
		if is := r.run(t); len(is) != 1 {
			t.Fatalf("%d issues, want 1: %+v", len(is), is)
		}
	})
	t.Run("a stored number GitHub no longer has is replaced by the App's issue, found again", func(t *testing.T) {
		r := newDashboardRig(t)
		r.services(t, 3, third)
		first := r.run(t)[0].Number
		if err := r.store.PutState(t.Context(), nsDashboard, recDashboard, []byte(`{"repo":"acme/soa","number":4242}`)); err != nil {
			t.Fatal(err)
		}
		if is := r.run(t); len(is) != 1 {
			t.Fatalf("issues %+v, want the App's one issue", is)
		}
		raw, _, err := r.store.GetState(t.Context(), nsDashboard, recDashboard)
		if err != nil || !strings.Contains(string(raw), fmt.Sprintf(`"number":%d`, first)) {
			t.Fatalf("record %s (%v), want it to name issue %d", raw, err, first)
		}
	})
	t.Run("a stored result the App cannot read is shown failing, not dropped", func(t *testing.T) {
		r := newDashboardRig(t)
		r.services(t, 2, func(int) bool { return false })
		if err := r.store.PutState(t.Context(), nsFleetServices, "service-00001", []byte("{not json")); err != nil {
			t.Fatal(err)
		}
		is := r.run(t)
		if len(is) != 1 || !strings.Contains(is[0].Body, "1 of 2 services breaks") || !strings.Contains(is[0].Body, "cannot read its stored result") {
			t.Fatalf("issues %+v, want service-00001 failing with a note", is)
		}
	})
	t.Run("without the issues permission it stays off and fails no task", func(t *testing.T) {
		r := newDashboardRig(t)
		r.fake.GrantPermission(7, "issues", "")
		r.services(t, 3, third)
		if is := r.run(t); len(is) != 0 {
			t.Fatalf("issues %+v, want none", is)
		}
	})
}

// TestDashboardScheduleEnqueuesOneTaskPerInterval: however many results
// come in, one task per interval, due at its end.
func TestDashboardScheduleEnqueuesOneTaskPerInterval(t *testing.T) {
	q, err := webhook.OpenBolt(filepath.Join(t.TempDir(), QueueFile))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// The queue's clock is real: an interval of an hour is not over
	// before the test is.
	now := time.Now()
	d := &dashboardSchedule{q: q, interval: time.Hour, now: func() time.Time { return now }, log: zerolog.Nop()}
	ctx := context.Background()
	for range 3 {
		d.schedule(ctx)
	}
	d.last = 0 // another replica, or this one after a restart
	d.schedule(ctx)
	st, err := q.Stats(ctx)
	if err != nil || st.Pending != 1 {
		t.Fatalf("%d pending tasks (%v), want 1", st.Pending, err)
	}
	now = now.Add(time.Hour)
	d.schedule(ctx)
	if st, _ = q.Stats(ctx); st.Pending != 1 {
		t.Fatalf("%d pending tasks after the next interval's result, want 1 (coalesced)", st.Pending)
	}
	if got, _ := q.Claim(ctx, 10); len(got) != 0 {
		t.Fatalf("a task due at the interval's end was claimable at once: %+v", got)
	}
}

// TestDashboard_ReplicasSharingPostgreSQLSeeOneFleet: two replicas on one
// PostgreSQL queue each record the services they checked; either one's
// dashboard shows them all, in one issue, and a restarted replica's
// gauges count them before it checks anything.
func TestDashboard_ReplicasSharingPostgreSQLSeeOneFleet(t *testing.T) {
	srv := pgtest.Start(t)
	open := func() *pgqueue.Queue {
		q, err := pgqueue.Open(t.Context(), srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		return q
	}
	a, b := newDashboardRig(t), newDashboardRig(t)
	b.fake = a.fake
	b.dash.Clients = a.dash.Clients
	for _, r := range []*dashboardRig{a, b} {
		q := open()
		r.fleet.keep(q, a.fake.URL(), zerolog.Nop())
		r.dash.store = q
	}
	for i := range 4 {
		rig := []*dashboardRig{a, b}[i%2]
		rig.add(t, i, i == 3, "broken")
	}
	is := a.run(t)
	if len(is) != 1 || !strings.Contains(is[0].Body, "1 of 4 services breaks") {
		t.Fatalf("replica a's dashboard: %+v", is)
	}
	b.add(t, 3, false, "")
	if is = b.run(t); len(is) != 1 || is[0].Edits != 1 || !strings.Contains(is[0].Body, "Fixed (1)") {
		t.Fatalf("replica b's edit of the same issue: %+v", is)
	}
	// A third replica, just started, counts the stored fleet.
	c, err := newFleetState(nil, checks.All())
	if err != nil {
		t.Fatal(err)
	}
	c.keep(open(), a.fake.URL(), zerolog.Nop())
	v, err := c.view(t.Context(), fleet.Options{})
	if err != nil || v.Totals.Services != 4 || v.Totals.Failing != 0 {
		t.Fatalf("a new replica's view: %+v, %v", v, err)
	}
}

// Until the App knows its bot's login (GET /app, read at startup beside
// the queue's first tasks), it cannot tell its dashboard issue from
// another bot's of the same title: it waits, rather than edit theirs or
// list every issue of the soa repository.
func TestDashboard_BeforeItKnowsItsLoginItEditsNoOtherBotsIssue(t *testing.T) {
	r := newDashboardRig(t)
	r.dash.botLogin.Store(nil)
	theirs := r.fake.CreateIssueAs("acme", "soa", "ci-helper[bot]", fleet.DefaultTitle, "their notes")
	r.services(t, 3, func(i int) bool { return i == 0 })
	err := r.dash.Run(t.Context(), webhook.Task{ID: "dashboard/1", Kind: KindDashboard})
	if is := r.fake.Issues("acme", "soa"); len(is) != 1 || is[0].Body != "their notes" || is[0].Edits != 0 {
		t.Fatalf("issues %+v, want %d alone and untouched", is, theirs)
	}
	if err == nil || webhook.IsPermanent(err) {
		t.Fatalf("Run = %v, want an error worth retrying", err)
	}
	r.dash.SetBotLogin("contractbot-fake[bot]")
	is := r.run(t)
	if len(is) != 2 || is[0].Body != "their notes" || is[1].User != "contractbot-fake[bot]" {
		t.Fatalf("issues %+v, want theirs untouched and the App's own", is)
	}
}
