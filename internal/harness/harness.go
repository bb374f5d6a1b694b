// Package harness is the fault and load harness of `contractbot serve`
// (issues 8 and 15): it drives signed push deliveries into several real
// serve processes that share one PostgreSQL queue, against the fake GitHub
// with latency and injected faults (among them faults that fire after the
// fake carried out a write, so that only its answer is lost, and a body cut
// off mid-JSON), replays an outage of hours in the fake's delivery log for
// the reconciler to recover, kills a replica with SIGKILL while it has work
// in flight and restarts PostgreSQL twice in the middle of the run, and
// reports whether every event got exactly one check run with each
// annotation once, how long that took and what it cost in API requests.
//
// It is driven by TestHarness (see harness_test.go for the environment
// variables); [Run] is exported so that a benchmark or another test can
// drive other shapes of load.
package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/pgqueue"
	"github.com/contractbot/contractbot/internal/pgtest"
	"github.com/contractbot/contractbot/internal/webhook"
)

// CheckName is the check run every pushed commit must get exactly once.
const CheckName = ghclient.DefaultCheckRunName

const (
	secret       = "harness-webhook-secret"
	installation = 77
	owner        = "acme"
	branch       = "master" // the real push payload's default branch
	zeroSHA      = "0000000000000000000000000000000000000000"
	perRepo      = 50 // pushes per repository
)

// Options shape one run. Zero fields take the defaults in brackets.
type Options struct {
	// Binary is the contractbot binary to run (required).
	Binary string
	// N is the number of push deliveries, one per commit [600].
	N int
	// Replicas is the number of serve processes [2].
	Replicas int
	// Senders is the number of concurrent senders [16].
	Senders int
	// Rate paces the deliveries (per second, all senders together) [100],
	// so that the faults land while the replicas work; negative sends as
	// fast as the senders can.
	Rate float64
	// Workers is each replica's CONTRACTBOT_WORKERS [32].
	Workers int
	// Latency delays every answer of the fake GitHub [20ms].
	Latency time.Duration
	// Lease is the queue lease (CONTRACTBOT_QUEUE_LEASE) [10s]: how long
	// the killed replica's tasks wait before another replica runs them.
	Lease time.Duration
	// KillFor is how long the killed replica stays down [3s].
	KillFor time.Duration
	// PGDown is how long PostgreSQL stays stopped when it is restarted
	// [2s]: deliveries meanwhile are refused and sent again.
	PGDown time.Duration
	// NoFaults turns off the injected API faults, the outage, the kill and
	// the PostgreSQL restarts: a clean baseline.
	NoFaults bool
	// Outage is how many more events happened during an outage before the
	// run: the App was down for OutageSpan and GitHub's attempts to deliver
	// them failed, spread over it in the fake's delivery log, plus a few a
	// day or two older still. No sender sends them: the replicas'
	// reconciler must find each in the log and have it redelivered [N/10;
	// negative: none].
	Outage int
	// OutageSpan is how long that outage lasted [2h].
	OutageSpan time.Duration
	// MaxP99 bounds the p99 latency of the events sent during the run
	// (outage events excluded): a report above it is not OK
	// [2 × Lease + 10 s when paced; unbounded when unpaced]. Negative:
	// unbounded.
	MaxP99 time.Duration
	// GiveUp is how long a sender keeps sending one delivery that no
	// replica acknowledges before it gives up [2m]; a delivery given up
	// counts as unacknowledged.
	GiveUp time.Duration
	// Validate makes the fake validate every request and response against
	// GitHub's OpenAPI description (the default in tests; costly in CPU).
	Validate bool
	// Timeout bounds the wait for the last check run after the last
	// delivery [2 × Lease + N/20 s + 60 s].
	Timeout time.Duration
	// Logf receives progress lines (t.Logf); nil is silent.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.N <= 0 {
		o.N = 600
	}
	if o.Replicas <= 0 {
		o.Replicas = 2
	}
	if o.Senders <= 0 {
		o.Senders = 16
	}
	if o.Rate == 0 {
		o.Rate = 100
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.Latency <= 0 {
		o.Latency = 20 * time.Millisecond
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Second
	}
	if o.KillFor <= 0 {
		o.KillFor = 3 * time.Second
	}
	if o.PGDown <= 0 {
		o.PGDown = 2 * time.Second
	}
	if o.Outage == 0 && !o.NoFaults {
		o.Outage = o.N / 10
	}
	if o.NoFaults || o.Outage < 0 {
		o.Outage = 0
	}
	if o.OutageSpan <= 0 {
		o.OutageSpan = 2 * time.Hour
	}
	if o.MaxP99 == 0 && o.Rate > 0 {
		o.MaxP99 = 2*o.Lease + 10*time.Second
	}
	if o.GiveUp <= 0 {
		o.GiveUp = 2 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 2*o.Lease + time.Duration((o.N+o.Outage)/20)*time.Second + 2*time.Minute
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Report is what one run measured.
type Report struct {
	Options Options

	Sent     int // deliveries sent by the senders, one per commit
	Accepted int // of them acknowledged with a 2xx by some replica
	// Unacknowledged counts deliveries no replica acknowledged within
	// GiveUp: each is an event GitHub would show as failed.
	Unacknowledged int
	// AckedNotStored counts acknowledged deliveries the queue has not
	// seen: an acknowledgement before the durable write.
	AckedNotStored int
	// Resent counts deliveries sent again (same GUID) because a replica
	// refused one (5xx while PostgreSQL restarted) or could not be reached
	// (killed): what GitHub's redelivery does.
	Resent int

	// OutageEvents were never sent: GitHub's failed attempts to deliver
	// them during the outage before the run are in the fake's delivery
	// log, for the reconciler. OutageRecovered have their check run at
	// the end; OutageDone is when the last one was completed, from the
	// replicas' start.
	OutageEvents, OutageRecovered int
	OutageDone                    time.Duration
	Redelivered                   int // redeliveries the replicas asked of the fake

	CheckRuns  int // "PaaSTA contract" runs on the pushed commits
	Duplicates int // runs beyond the first on a commit
	Lost       int // commits (sent or of the outage) without a completed run at the end
	Incomplete int // runs left in progress
	Wrong      int // runs whose conclusion is not the expected one
	Dead       int // tasks dead-lettered in the queue

	// Annotated counts the runs that must carry annotations (a Makefile
	// breaking the contract in 130 lines: three annotation requests);
	// DuplicateAnnotations are annotations sent twice, MissingAnnotations
	// those never sent, over all runs.
	Annotated, DuplicateAnnotations, MissingAnnotations int

	// KilledInFlight counts the tasks the killed replica held in flight
	// right after SIGKILL (its claims in the queue); a kill with nothing
	// in flight would test nothing, and is not OK.
	KilledInFlight int
	Killed         bool

	// Published counts "check run published" in the replicas' logs (the
	// killed replica's included); Reruns those of a task's second or later
	// attempt (a retry after a fault, or a task taken over after its
	// replica died), which look for an earlier run before publishing.
	Published, Reruns int

	// Latency is from the first attempt to deliver a push to the check run
	// completed on its commit, over the events sent during the run.
	P50, P99, Max time.Duration

	APICalls int            // requests the fake GitHub received (not the reconciler's)
	Budget   int            // the requests the events should cost at most, faults included
	Calls    map[string]int // by operationId
	Statuses map[int]int    // by HTTP status; injected hangs and disconnects under 0

	Events  []string // faults and restarts, in order, with when they happened
	Elapsed time.Duration
}

// CallsPerEvent is API requests per delivered event.
func (r Report) CallsPerEvent() float64 {
	if n := r.Sent + r.OutageEvents; n > 0 {
		return float64(r.APICalls) / float64(n)
	}
	return 0
}

// LatencyOK reports whether the p99 latency is within Options.MaxP99.
func (r Report) LatencyOK() bool { return r.Options.MaxP99 <= 0 || r.P99 <= r.Options.MaxP99 }

// Problems lists what makes the run fail, one line each; none when OK.
func (r Report) Problems() []string {
	var p []string
	add := func(bad bool, f string, a ...any) {
		if bad {
			p = append(p, fmt.Sprintf(f, a...))
		}
	}
	add(r.Unacknowledged > 0, "%d of %d deliveries were never acknowledged", r.Unacknowledged, r.Sent)
	add(r.AckedNotStored > 0, "%d acknowledged deliveries are not in the queue", r.AckedNotStored)
	add(r.Lost > 0, "%d events lost: their commits have no completed check run (%d of %d outage events recovered)", r.Lost, r.OutageRecovered, r.OutageEvents)
	add(r.Duplicates > 0, "%d duplicate check runs", r.Duplicates)
	add(r.DuplicateAnnotations > 0 || r.MissingAnnotations > 0, "%d annotations sent twice, %d never sent", r.DuplicateAnnotations, r.MissingAnnotations)
	add(r.Incomplete > 0 || r.Wrong > 0 || r.Dead > 0, "%d runs left in progress, %d with a wrong conclusion, %d dead-lettered tasks", r.Incomplete, r.Wrong, r.Dead)
	add(r.Killed && r.KilledInFlight == 0, "the replica killed with SIGKILL had no task in flight: the kill tested nothing")
	add(!r.LatencyOK(), "p99 latency %s above the bound %s", round(r.P99), r.Options.MaxP99)
	add(r.Budget > 0 && r.APICalls > r.Budget, "%d API requests, over the budget of %d", r.APICalls, r.Budget)
	return p
}

// OK reports whether no event was lost or duplicated, every annotation
// was sent once, the latency was within its bound, and every fault did
// what it was meant to.
func (r Report) OK() bool { return len(r.Problems()) == 0 }

// Table renders the report as a Markdown table.
func (r Report) Table() string {
	var b strings.Builder
	o := r.Options
	rate := "unpaced"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%.0f/s", o.Rate)
	}
	fmt.Fprintf(&b, "| measure | value |\n|---|---|\n")
	row := func(k, f string, a ...any) { fmt.Fprintf(&b, "| %s | %s |\n", k, fmt.Sprintf(f, a...)) }
	row("setup", "%d replicas × %d workers, one PostgreSQL queue (lease %s), %d senders %s, fake GitHub latency %s, validation %v",
		o.Replicas, o.Workers, o.Lease, o.Senders, rate, o.Latency, o.Validate)
	row("events sent (signed push deliveries)", "%d", r.Sent)
	row("acknowledged (2xx) / given up / acknowledged but not in the queue", "%d / %d / %d", r.Accepted, r.Unacknowledged, r.AckedNotStored)
	row("re-sent with the same GUID (replica refused or unreachable)", "%d", r.Resent)
	row("outage events (failed in GitHub's log before the run, over "+o.OutageSpan.String()+" and days back) / recovered / last recovered at", "%d / %d / %s",
		r.OutageEvents, r.OutageRecovered, round(r.OutageDone))
	row("redeliveries asked of GitHub", "%d", r.Redelivered)
	row("check runs created", "%d", r.CheckRuns)
	row("**duplicate runs**", "**%d**", r.Duplicates)
	row("**lost events**", "**%d**", r.Lost)
	row("runs with 130 annotations (3 requests each) / **annotations sent twice** / never sent", "%d / **%d** / %d", r.Annotated, r.DuplicateAnnotations, r.MissingAnnotations)
	row("runs left in progress / wrong conclusion / dead-lettered tasks", "%d / %d / %d", r.Incomplete, r.Wrong, r.Dead)
	if r.Killed {
		row("tasks in flight on the replica killed with SIGKILL", "%d", r.KilledInFlight)
	}
	row("check tasks published / of them on a second or later attempt", "%d / %d", r.Published, r.Reruns)
	bound := "unbounded"
	if o.MaxP99 > 0 {
		bound = "bound " + o.MaxP99.String()
	}
	row("delivery → completed check run, p50 / p99 / max (events sent during the run)", "%s / %s (%s) / %s", round(r.P50), round(r.P99), bound, round(r.Max))
	row("API requests per event", "%.2f (%d requests; budget %d)", r.CallsPerEvent(), r.APICalls, r.Budget)
	ops := make([]string, 0, len(r.Calls))
	for op := range r.Calls {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		return r.Calls[ops[i]] > r.Calls[ops[j]] || r.Calls[ops[i]] == r.Calls[ops[j]] && ops[i] < ops[j]
	})
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("`%s` %d", op, r.Calls[op]))
	}
	row("requests by operation", "%s", strings.Join(parts, ", "))
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts = parts[:0]
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "hang/disconnect"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, r.Statuses[c]))
	}
	row("fake GitHub answers by status", "%s", strings.Join(parts, ", "))
	for _, e := range r.Events {
		row("fault", "%s", e)
	}
	row("wall time (first delivery to last check run, queue empty)", "%s (%.0f events/s)", round(r.Elapsed), float64(r.Sent+r.OutageEvents)/r.Elapsed.Seconds())
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

// reconcilerOps are the redelivery reconciler's requests, which run on
// their own clock and belong to no event.
var reconcilerOps = map[string]bool{"apps/list-webhook-deliveries": true, "apps/redeliver-webhook-delivery": true}

// Run runs the harness once. It needs t for the fake GitHub and the
// throw-away PostgreSQL, which skip t when their prerequisites are missing
// (or fail it under CONTRACTBOT_REQUIRE_ITEST=1); call it from the test's
// goroutine. An error means the harness itself could not run; lost or
// duplicated events are in the report.
func Run(ctx context.Context, t testing.TB, o Options) (Report, error) {
	o.defaults()
	rep := Report{Options: o, Sent: o.N, OutageEvents: o.Outage}
	if o.Binary == "" {
		return rep, errors.New("harness: no contractbot binary")
	}
	fakeOpts := []githubfake.Option{githubfake.WithRateLimit(1 << 30)}
	if !o.Validate {
		fakeOpts = append(fakeOpts, githubfake.WithoutValidation())
	}
	fake := githubfake.New(t, fakeOpts...)
	fake.AddInstallation(installation, owner)
	pg := pgtest.Start(t)
	// The harness's own view of the queue: the schema exists before the
	// replicas start, and the end of the run is when the queue is empty.
	q, err := pgqueue.Open(ctx, pg.URL())
	if err != nil {
		return rep, err
	}
	defer q.Close()

	// Commits and their deliveries, made before the clock starts. The
	// first Outage events are the outage's: GitHub failed to deliver them
	// before the run. Every tenth repository breaks the contract in 130
	// lines of its Makefile: 130 annotations, in three requests.
	type event struct {
		repo, sha, guid string
		payload         []byte
		broken, outage  bool
	}
	total := o.N + o.Outage
	events := make([]event, total)
	prev := map[string]string{}
	for i := range events {
		repoIndex := i / perRepo
		repo := fmt.Sprintf("svc%03d", repoIndex)
		broken := repoIndex%10 == 9
		sha := fake.Push(owner, repo, branch, service(repo, i, broken))
		before := prev[repo]
		if before == "" {
			before = zeroSHA
		}
		prev[repo] = sha
		events[i] = event{repo: repo, sha: sha, guid: guid(i), payload: pushPayload(t, repo, before, sha), broken: broken, outage: i < o.Outage}
	}
	// The outage in GitHub's delivery log: attempts spread over
	// OutageSpan up to a minute ago, and one in twenty a day or two
	// older, so the log the reconciler reads spans days.
	now := time.Now()
	for i := range o.Outage {
		at := now.Add(-time.Minute - o.OutageSpan + time.Duration(i)*o.OutageSpan/time.Duration(max(o.Outage, 1)))
		if i%20 == 0 { // a day or two back, well inside GitHub's three days
			at = now.Add(-24*time.Hour - time.Duration(i%(24*60))*time.Minute)
		}
		events[i].guid = fake.LogFailedDelivery("push", events[i].payload, at)
	}

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app-key.pem")
	if err := os.WriteFile(keyFile, fake.PrivateKeyPEM(), 0o600); err != nil {
		return rep, err
	}
	replicas := make([]*replica, o.Replicas)
	for i := range replicas {
		port, err := freePort()
		if err != nil {
			return rep, err
		}
		r := &replica{
			name: string(rune('A' + i)), bin: o.Binary, addr: fmt.Sprintf("127.0.0.1:%d", port),
			logPath: filepath.Join(dir, fmt.Sprintf("replica-%c.log", 'A'+i)),
			env: []string{
				fmt.Sprintf("CONTRACTBOT_APP_ID=%d", fake.AppID()),
				"CONTRACTBOT_PRIVATE_KEY_FILE=" + keyFile,
				"CONTRACTBOT_PRIVATE_KEY=",
				"CONTRACTBOT_WEBHOOK_SECRET=" + secret,
				"CONTRACTBOT_GITHUB_API_URL=" + fake.URL(),
				// An answer later than this is one the replica gave up on.
				"CONTRACTBOT_GITHUB_TIMEOUT=2s",
				"CONTRACTBOT_DATA_DIR=" + filepath.Join(dir, fmt.Sprintf("data-%c", 'A'+i)),
				"CONTRACTBOT_QUEUE_URL=" + pg.URL(),
				"CONTRACTBOT_QUEUE_LEASE=" + o.Lease.String(),
				"CONTRACTBOT_REDELIVERY_INTERVAL=10s",
				// 20 redeliveries a second: the outage is recovered
				// within a minute without swamping the live load.
				"CONTRACTBOT_REDELIVERY_MAX=200",
				fmt.Sprintf("CONTRACTBOT_WORKERS=%d", o.Workers),
				"CONTRACTBOT_SOA_REPO=",
				"CONTRACTBOT_LOG_FORMAT=json",
				"CONTRACTBOT_LOG_LEVEL=info",
				fmt.Sprintf("CONTRACTBOT_LISTEN=127.0.0.1:%d", port),
			},
		}
		replicas[i] = r
	}
	// GitHub posts redeliveries to the App's public address: a balancer
	// in front of the replicas that tries the next one when one fails.
	addrs := make([]string, len(replicas))
	for i, r := range replicas {
		addrs[i] = r.addr
	}
	front := httptest.NewServer(balancer(addrs))
	defer front.Close()
	fake.SetWebhook(front.URL+"/webhook", []byte(secret))
	fake.SetLatency(o.Latency)
	fake.ResetCalls()
	up := time.Now() // the reconciler starts with the replicas
	for _, r := range replicas {
		if err := r.start(ctx); err != nil {
			return rep, err
		}
		defer r.stop()
	}
	start := time.Now()
	defer func() {
		if t.Failed() || !rep.OK() {
			for _, r := range replicas {
				o.Logf("replica %s, last warnings and errors:\n%s", r.name, tail(r.logPath, 30, `"level":"warn"`, `"level":"error"`))
			}
		}
	}()

	// Senders, for the events after the outage.
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Senders}}
	firstTry := make([]time.Time, total)
	acked := make([]bool, total)
	var next, started, accepted, resent, gaveUp atomic.Int64
	next.Store(int64(o.Outage))
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	var wg sync.WaitGroup
	for s := 0; s < o.Senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				if o.Rate > 0 { // negative: unpaced
					if !sleepUntil(sendCtx, start.Add(time.Duration(float64(i-o.Outage)/o.Rate*float64(time.Second)))) {
						return
					}
				}
				firstTry[i] = time.Now()
				started.Add(1)
				e := events[i]
				n, ok := deliver(sendCtx, client, replicas, i, e.guid, e.payload, o.GiveUp)
				resent.Add(int64(n))
				if ok {
					accepted.Add(1)
					acked[i] = true
				} else if sendCtx.Err() == nil {
					gaveUp.Add(1)
				}
			}
		}()
	}
	sendersDone := make(chan struct{})
	go func() { wg.Wait(); close(sendersDone) }()

	// Faults, in the test's goroutine (pgtest and the replicas report
	// through t): each fires when its share of the deliveries has started.
	note := func(f string, a ...any) {
		s := fmt.Sprintf("%s (at %s, delivery %d of %d)", fmt.Sprintf(f, a...), time.Since(start).Round(100*time.Millisecond), started.Load(), o.N)
		rep.Events = append(rep.Events, s)
		o.Logf("harness: %s", s)
	}
	victim := replicas[len(replicas)-1]
	type step struct {
		at float64
		do func() error
	}
	var steps []step
	var restartAt time.Time // when the killed replica comes back
	if !o.NoFaults {
		inject := func(f githubfake.Fault, what string) func() error {
			return func() error { fake.InjectFault(f); note("%s", what); return nil }
		}
		restartPG := func() error {
			t0 := time.Now()
			pg.Stop() // fast shutdown: connections are cut
			note("PostgreSQL stopped (fast shutdown)")
			time.Sleep(o.PGDown)
			pg.Restart()
			note("PostgreSQL started again, %s after it was stopped", time.Since(t0).Round(100*time.Millisecond))
			return nil
		}
		after := func(kind githubfake.FaultKind, op string, times int, latency time.Duration) githubfake.Fault {
			return githubfake.Fault{Kind: kind, Operation: op, Times: times, After: true, Latency: latency}
		}
		steps = []step{
			{0.05, inject(githubfake.Fault{Kind: githubfake.FaultTruncatedBody, Operation: "git/get-tree"}, "a body cut off mid-JSON: the next git/get-tree answers half its tree, with its ETag")},
			{0.10, inject(githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502, Times: 20}, "5xx burst: the next 20 requests to any operation answer 502")},
			{0.15, inject(after(githubfake.FaultServerError, "checks/create", 10, 0), "after-handling 502: the next 10 checks/create are carried out and answered 502")},
			{0.20, inject(githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, Operation: "checks/create", RetryAfter: time.Second, Times: 5}, "secondary rate limit: the next 5 checks/create answer 403 with Retry-After: 1")},
			{0.25, inject(after(githubfake.FaultDisconnect, "checks/update", 5, 0), "after-handling reset: the next 5 checks/update (annotation batches) are carried out and their connection cut")},
			{0.30, inject(githubfake.Fault{Kind: githubfake.FaultHang, Operation: "git/get-tree", Times: 3}, "hanging responses: the next 3 git/get-tree never answer")},
		}
		if len(replicas) > 1 {
			steps = append(steps, step{0.35, func() error {
				// Kill it mid-work: wait (a little) until it holds tasks,
				// as its claims in the queue show.
				claimant := victim.claimant()
				held := 0
				for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
					if held, _ = q.InFlightBy(ctx, claimant); held > 0 {
						break
					}
				}
				if err := victim.kill(); err != nil {
					return err
				}
				rep.Killed = true
				// Its claims stay in flight until their leases expire.
				n, err := q.InFlightBy(ctx, claimant)
				if err != nil {
					return err
				}
				rep.KilledInFlight = n
				note("replica %s killed with SIGKILL with %d tasks in flight", victim.name, n)
				restartAt = time.Now().Add(o.KillFor)
				return nil
			}})
		}
		steps = append(steps,
			step{0.45, inject(after(githubfake.FaultLatency, "checks/create", 3, 3*time.Second), "after-handling slow answer: the next 3 checks/create are carried out and answered after 3 s, past the replicas' 2 s timeout")},
			step{0.50, inject(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", Times: 20}, "5xx burst: the next 20 checks/create answer 500")},
			step{0.55, inject(after(githubfake.FaultServerError, "checks/update", 10, 0), "after-handling 502: the next 10 checks/update are carried out and answered 502")},
			step{0.60, restartPG},
			step{0.70, inject(githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, Status: 429, RetryAfter: time.Second, Times: 5}, "secondary rate limit: the next 5 requests answer 429 with Retry-After: 1")},
			step{0.75, inject(after(githubfake.FaultLatency, "checks/update", 3, 3*time.Second), "after-handling slow answer: the next 3 checks/update are carried out and answered after 3 s")},
			step{0.80, inject(githubfake.Fault{Kind: githubfake.FaultHang, Operation: "checks/create", Times: 3}, "hanging responses: the next 3 checks/create never answer")},
			step{0.85, restartPG},
			step{0.90, inject(githubfake.Fault{Kind: githubfake.FaultDisconnect, Times: 5}, "dropped connections: the next 5 requests are cut without an answer")},
			step{0.95, inject(after(githubfake.FaultDisconnect, "checks/create", 5, 0), "after-handling reset: the next 5 checks/create are carried out and their connection cut")},
		)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for sending := true; sending || len(steps) > 0 || !restartAt.IsZero(); {
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-sendersDone:
			sending = false
		case <-tick.C:
		}
		progress := float64(started.Load()) / float64(max(o.N, 1))
		if !sending {
			progress = 1
		}
		for len(steps) > 0 && progress >= steps[0].at {
			if err := steps[0].do(); err != nil {
				return rep, err
			}
			steps = steps[1:]
		}
		if !restartAt.IsZero() && time.Now().After(restartAt) {
			if err := victim.start(ctx); err != nil {
				return rep, err
			}
			note("replica %s restarted after %s", victim.name, o.KillFor)
			restartAt = time.Time{}
		}
	}
	rep.Accepted, rep.Resent, rep.Unacknowledged = int(accepted.Load()), int(resent.Load()), int(gaveUp.Load())
	o.Logf("harness: %d deliveries acknowledged in %s (%d re-sent, %d given up); waiting for the check runs", rep.Accepted, time.Since(start).Round(time.Millisecond), rep.Resent, rep.Unacknowledged)

	// Wait for a completed run on every commit and an empty queue: a task
	// taken over from the killed replica runs only when its lease expires,
	// and a duplicate would appear then.
	want := make(map[string]int, total) // sha -> event index
	for i, e := range events {
		want[e.sha] = i
	}
	deadline := time.Now().Add(o.Timeout)
	var runs []githubfake.CheckRunRecord
	for {
		runs = fake.AllCheckRuns()
		done := map[string]bool{}
		for _, r := range runs {
			if _, ok := want[r.HeadSHA]; ok && r.Name == CheckName && r.Status == "completed" {
				done[r.HeadSHA] = true
			}
		}
		st, err := q.Stats(ctx)
		if len(done) == len(want) && err == nil && st.Pending == 0 && st.InFlight == 0 {
			rep.Dead = st.Dead
			break
		}
		if time.Now().After(deadline) {
			o.Logf("harness: gave up after %s: %d of %d commits have a check run; queue %+v (%v)", o.Timeout, len(done), len(want), st, err)
			rep.Dead = st.Dead
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	rep.Elapsed = time.Since(start)
	rep.Redelivered = fake.Redeliveries()

	// Every acknowledged delivery must be in the queue.
	for i, e := range events {
		if !acked[i] {
			continue
		}
		seen, err := q.Seen(ctx, e.guid)
		if err != nil {
			return rep, err
		}
		if !seen {
			rep.AckedNotStored++
		}
	}

	// Count.
	first := map[string]time.Time{}
	count := map[string]int{}
	for _, r := range runs {
		i, ok := want[r.HeadSHA]
		if !ok || r.Name != CheckName {
			continue
		}
		count[r.HeadSHA]++
		rep.CheckRuns++
		wantConclusion := "success"
		if events[i].broken {
			wantConclusion = "failure"
		}
		switch {
		case r.Status != "completed":
			rep.Incomplete++
			continue
		case r.Conclusion != wantConclusion:
			rep.Wrong++
		}
		if events[i].broken {
			rep.Annotated++
			uniq := map[string]bool{}
			for _, a := range r.Annotations {
				uniq[fmt.Sprint(a.Path, "\x00", a.StartLine, "\x00", a.Message)] = true
			}
			rep.DuplicateAnnotations += len(r.Annotations) - len(uniq)
			rep.MissingAnnotations += max(brokenLines-len(uniq), 0)
		}
		if f, ok := first[r.HeadSHA]; !ok || r.Completed.Before(f) {
			first[r.HeadSHA] = r.Completed
		}
	}
	var lat []time.Duration
	for sha, i := range want {
		if count[sha] > 1 && rep.Duplicates < 20 {
			var at []string
			for _, r := range runs {
				if r.HeadSHA == sha && r.Name == CheckName {
					at = append(at, r.Created.Sub(start).Round(10*time.Millisecond).String())
				}
			}
			o.Logf("harness: duplicate: %s (event %d, outage %v) has %d runs, created at %s", sha, i, events[i].outage, count[sha], strings.Join(at, ", "))
		}
		rep.Duplicates += max(count[sha]-1, 0)
		done, ok := first[sha]
		if !ok {
			rep.Lost++
			continue
		}
		if events[i].outage {
			rep.OutageRecovered++
			rep.OutageDone = max(rep.OutageDone, done.Sub(up))
			continue
		}
		lat = append(lat, done.Sub(firstTry[i]))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		rep.P50, rep.P99, rep.Max = lat[len(lat)/2], lat[min(len(lat)*99/100, len(lat)-1)], lat[len(lat)-1]
	}
	rep.Calls = map[string]int{}
	for op, n := range fake.Calls() {
		if !reconcilerOps[op] {
			rep.Calls[op] = n
			rep.APICalls += n
		}
	}
	// Warm, an event costs 2 requests (tree, check run) and a broken one
	// 2 more (two annotation batches). Each replica's cold cache adds a
	// Makefile blob per repository, and the faults add their retries,
	// tokens and the look-ups after lost answers: a few hundred requests
	// in all, not a request per event.
	repos := (total + perRepo - 1) / perRepo
	rep.Budget = 2*total + 2*rep.Annotated + 2*repos*o.Replicas + 500
	rep.Statuses = fake.Statuses()
	for _, r := range replicas {
		p, rr, err := published(r.logPath)
		if err != nil {
			return rep, err
		}
		rep.Published += p
		rep.Reruns += rr
	}
	return rep, nil
}

// brokenLines is how many recipe lines a broken service's Makefile
// indents with spaces: one makefile.tabs error, so one annotation, each.
const brokenLines = 130

// balancer forwards a delivery to the replicas at addrs in turn, trying
// the next one when one refuses or cannot be reached, as a load balancer
// with health checks would; it answers 502 when none takes it.
func balancer(addrs []string) http.Handler {
	var turn atomic.Int64
	c := &http.Client{Timeout: 15 * time.Second}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 25<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		first := int(turn.Add(1))
		for k := range addrs {
			addr := addrs[(first+k)%len(addrs)]
			req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+addr+r.URL.Path, bytes.NewReader(body))
			if err != nil {
				continue
			}
			req.Header = r.Header.Clone()
			resp, err := c.Do(req)
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				w.WriteHeader(resp.StatusCode)
				return
			}
		}
		http.Error(w, "no replica took the delivery", http.StatusBadGateway)
	})
}

// deliver posts one delivery until a replica acknowledges it, starting
// with replica i mod n and moving to the next one after each refusal, as
// GitHub's redelivery of the same GUID would reach whichever replica the
// load balancer picks. It gives up after giveUp. It returns how many times
// it re-sent.
func deliver(ctx context.Context, c *http.Client, replicas []*replica, i int, guid string, payload []byte, giveUp time.Duration) (resent int, ok bool) {
	sig := webhook.Sign([]byte(secret), payload)
	backoff := 50 * time.Millisecond
	end := time.Now().Add(giveUp)
	for attempt := 0; ; attempt++ {
		r := replicas[(i+attempt)%len(replicas)]
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.addr+"/webhook", bytes.NewReader(payload))
		if err != nil {
			return resent, false
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "GitHub-Hookshot/harness")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", guid)
		req.Header.Set("X-GitHub-Hook-ID", "1")
		req.Header.Set("X-Hub-Signature-256", sig)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return resent, true
			}
		}
		if ctx.Err() != nil || time.Now().After(end) {
			return resent, false
		}
		resent++
		if (attempt+1)%len(replicas) == 0 { // every replica refused: wait
			if !sleepUntil(ctx, time.Now().Add(backoff)) {
				return resent, false
			}
			backoff = min(2*backoff, time.Second)
		}
	}
}

func sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// service is a repository that keeps the contract, or (broken) breaks it
// in brokenLines recipe lines; each commit changes the README only, so
// every event is a warm check (tree + check run, and the annotation
// batches of a broken one).
func service(repo string, i int, broken bool) map[string]string {
	mk := "DOCKER_TAG ?= " + repo + "-dev-$(USER)\n\n.PHONY: test itest cook-image\n\n" +
		"test:\n\tgo test ./...\n\nitest: cook-image\n\tdocker run --rm $(DOCKER_TAG) ./run-system-tests\n\n" +
		"cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n"
	if broken {
		var b strings.Builder
		b.WriteString(mk)
		for l := 1; l <= brokenLines; l++ {
			fmt.Fprintf(&b, "\nstep%d:\n    echo %d\n", l, l)
		}
		mk = b.String()
	}
	return map[string]string{
		"Makefile":   mk,
		"Dockerfile": "FROM debian:bookworm-slim\nCOPY service /usr/local/bin/service\nEXPOSE 8888\nCMD [\"/usr/local/bin/service\"]\n",
		"README.md":  fmt.Sprintf("# %s\n\nchange %d\n", repo, i),
		"main.go":    "package main\n\nfunc main() {}\n",
	}
}

// pushPayload is GitHub's real push payload pointed at after on the
// default branch of repo.
func pushPayload(t testing.TB, repo, before, after string) []byte {
	return githubfake.Payload(t, "push.branch-created.1", func(m map[string]any) {
		githubfake.Retarget(githubfake.Target{Owner: owner, Repo: repo, InstallationID: installation, SHA: after, Before: before, Ref: "refs/heads/" + branch})(m)
		m["created"] = before == zeroSHA
		if r, ok := m["repository"].(map[string]any); ok {
			r["default_branch"], r["master_branch"] = branch, branch
		}
		if hc, ok := m["head_commit"].(map[string]any); ok {
			hc["added"], hc["removed"], hc["modified"] = []string{}, []string{}, []string{"README.md"}
			m["commits"] = []any{hc}
		}
	})
}

// guid is delivery i's X-GitHub-Delivery, unique per run.
func guid(i int) string {
	return fmt.Sprintf("%08x-4a7e-4000-8000-%012x", time.Now().Unix()&0xffffffff, i)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// replica is one `contractbot serve` process on a fixed address, so that
// senders find it again after a restart.
type replica struct {
	name, bin, addr, logPath string
	env                      []string
	cmd                      *exec.Cmd
	done                     chan struct{}
}

// start runs the process and waits until it is ready. A process that
// exits while starting (PostgreSQL is down, say) is started again, as an
// orchestrator would, for up to 30 s.
func (r *replica) start(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := r.startOnce(ctx, deadline)
		if !errors.Is(err, errExited) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var errExited = errors.New("exited while starting")

func (r *replica) startOnce(ctx context.Context, deadline time.Time) error {
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("replica %s: %w", r.name, err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(r.done)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return fmt.Errorf("replica %s %w:\n%s", r.name, errExited, tail(r.logPath, 5))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := c.Get("http://" + r.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("replica %s not ready within 30 s:\n%s", r.name, tail(r.logPath, 20))
}

// claimant is how the running process names itself in its queue claims
// (pgqueue.DefaultClaimant: host and pid).
func (r *replica) claimant() string {
	h, err := os.Hostname()
	if err != nil {
		h = "unknown"
	}
	return fmt.Sprintf("%s:%d", h, r.cmd.Process.Pid)
}

// kill ends the process with SIGKILL: no shutdown code runs, its claims
// stay in the queue until their leases expire.
func (r *replica) kill() error {
	if err := r.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill replica %s: %w", r.name, err)
	}
	<-r.done
	return nil
}

// stop ends the process with SIGTERM, as a deployment would.
func (r *replica) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// published counts the "check run published" lines of a replica's log,
// and those of a task's second or later attempt.
func published(path string) (all, rerun int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"check run published"`)) {
			continue
		}
		var l struct {
			Message string `json:"message"`
			Attempt int    `json:"attempt"`
		}
		if json.Unmarshal(line, &l) != nil || l.Message != "check run published" {
			continue
		}
		all++
		if l.Attempt > 1 {
			rerun++
		}
	}
	return all, rerun, sc.Err()
}

// tail returns the last n lines of a file, of those containing one of
// the strings in match if there are any.
func tail(path string, n int, match ...string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if len(match) == 0 || slices.ContainsFunc(match, func(m string) bool { return strings.Contains(l, m) }) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
