// Package harness is the fault and load harness of `contractbot serve`
// (issue 8): it drives signed push deliveries into several real serve
// processes that share one PostgreSQL queue, against the fake GitHub with
// latency and injected faults, kills a replica with SIGKILL and restarts
// PostgreSQL in the middle of the run, and reports whether every event got
// exactly one check run, how long that took and what it cost in API
// requests.
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

	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/pgqueue"
	"github.com/contractbot/contractbot/internal/pgtest"
	"github.com/contractbot/contractbot/internal/webhook"
)

// CheckName is the check run every pushed commit must get exactly once.
const CheckName = "PaaSTA contract"

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
	// NoFaults turns off the injected API faults, the kill and the
	// PostgreSQL restart: a clean baseline.
	NoFaults bool
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
	if o.Timeout <= 0 {
		o.Timeout = 2*o.Lease + time.Duration(o.N/20)*time.Second + time.Minute
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Report is what one run measured.
type Report struct {
	Options Options

	Sent     int // deliveries, one per commit
	Accepted int // acknowledged with a 2xx by some replica
	// Resent counts deliveries sent again (same GUID) because a replica
	// refused one (5xx while PostgreSQL restarted) or could not be reached
	// (killed): what GitHub's redelivery does.
	Resent int

	CheckRuns  int // "PaaSTA contract" runs on the pushed commits
	Duplicates int // runs beyond the first on a commit
	Lost       int // commits without a completed run at the end
	Incomplete int // runs left in progress
	Wrong      int // runs whose conclusion is not success (every commit is a good service)
	Dead       int // tasks dead-lettered in the queue

	// Published counts "check run published" in the replicas' logs (the
	// killed replica's included); Reruns those of a task's second or later
	// attempt (a retry after a fault, or a task taken over after its
	// replica died), which look for an earlier run before publishing.
	Published, Reruns int

	// Latency is from the first attempt to deliver a push to the check run
	// completed on its commit.
	P50, P99, Max time.Duration

	APICalls int            // requests the fake GitHub received (not the reconciler's)
	Calls    map[string]int // by operationId
	Statuses map[int]int    // by HTTP status; injected hangs and disconnects under 0

	Events  []string // faults and restarts, in order, with when they happened
	Elapsed time.Duration
}

// CallsPerEvent is API requests per delivered event.
func (r Report) CallsPerEvent() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.APICalls) / float64(r.Sent)
}

// OK reports whether no event was lost or duplicated.
func (r Report) OK() bool {
	return r.Lost == 0 && r.Duplicates == 0 && r.Incomplete == 0 && r.Dead == 0 && r.Accepted == r.Sent
}

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
	row("acknowledged (2xx)", "%d", r.Accepted)
	row("re-sent with the same GUID (replica refused or unreachable)", "%d", r.Resent)
	row("check runs created", "%d", r.CheckRuns)
	row("**duplicates**", "**%d**", r.Duplicates)
	row("**lost events**", "**%d**", r.Lost)
	row("runs left in progress / wrong conclusion / dead-lettered tasks", "%d / %d / %d", r.Incomplete, r.Wrong, r.Dead)
	row("check tasks published / of them on a second or later attempt", "%d / %d", r.Published, r.Reruns)
	row("delivery → completed check run, p50 / p99 / max", "%s / %s / %s", round(r.P50), round(r.P99), round(r.Max))
	row("API requests per event", "%.2f (%d requests)", r.CallsPerEvent(), r.APICalls)
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
	row("wall time (first delivery to last check run, queue empty)", "%s (%.0f events/s)", round(r.Elapsed), float64(r.Sent)/r.Elapsed.Seconds())
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
	rep := Report{Options: o, Sent: o.N}
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

	// Commits and their deliveries, made before the clock starts.
	type event struct {
		repo, sha, guid string
		payload         []byte
	}
	events := make([]event, o.N)
	prev := map[string]string{}
	for i := range events {
		repo := fmt.Sprintf("svc%03d", i/perRepo)
		sha := fake.Push(owner, repo, branch, service(repo, i))
		before := prev[repo]
		if before == "" {
			before = zeroSHA
		}
		prev[repo] = sha
		events[i] = event{repo: repo, sha: sha, guid: guid(i), payload: pushPayload(t, repo, before, sha)}
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
				"CONTRACTBOT_DATA_DIR=" + filepath.Join(dir, fmt.Sprintf("data-%c", 'A'+i)),
				"CONTRACTBOT_QUEUE_URL=" + pg.URL(),
				"CONTRACTBOT_QUEUE_LEASE=" + o.Lease.String(),
				fmt.Sprintf("CONTRACTBOT_WORKERS=%d", o.Workers),
				"CONTRACTBOT_SOA_REPO=",
				"CONTRACTBOT_LOG_FORMAT=json",
				"CONTRACTBOT_LOG_LEVEL=info",
				fmt.Sprintf("CONTRACTBOT_LISTEN=127.0.0.1:%d", port),
			},
		}
		replicas[i] = r
		if err := r.start(ctx); err != nil {
			return rep, err
		}
		defer r.stop()
	}
	defer func() {
		if t.Failed() || !rep.OK() {
			for _, r := range replicas {
				o.Logf("replica %s, last warnings and errors:\n%s", r.name, tail(r.logPath, 30, `"level":"warn"`, `"level":"error"`))
			}
		}
	}()
	fake.SetLatency(o.Latency)
	fake.ResetCalls()

	// Senders.
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Senders}}
	firstTry := make([]time.Time, o.N)
	var next, started, accepted, resent atomic.Int64
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	var wg sync.WaitGroup
	start := time.Now()
	for s := 0; s < o.Senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= o.N {
					return
				}
				if o.Rate > 0 { // negative: unpaced
					if !sleepUntil(sendCtx, start.Add(time.Duration(float64(i)/o.Rate*float64(time.Second)))) {
						return
					}
				}
				firstTry[i] = time.Now()
				started.Add(1)
				e := events[i]
				n, ok := deliver(sendCtx, client, replicas, i, e.guid, e.payload)
				resent.Add(int64(n))
				if ok {
					accepted.Add(1)
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
		steps = []step{
			{0.10, inject(githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502, Times: 20}, "5xx burst: the next 20 requests to any operation answer 502")},
			{0.20, inject(githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, Operation: "checks/create", RetryAfter: time.Second, Times: 5}, "secondary rate limit: the next 5 checks/create answer 403 with Retry-After: 1")},
			{0.30, inject(githubfake.Fault{Kind: githubfake.FaultHang, Operation: "git/get-tree", Times: 3}, "hanging responses: the next 3 git/get-tree never answer")},
		}
		if len(replicas) > 1 {
			steps = append(steps, step{0.35, func() error {
				// Kill it mid-work: wait (a little) for checks in flight.
				var st webhook.Stats
				for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
					if st, _ = q.Stats(ctx); st.InFlight >= 2*len(replicas) {
						break
					}
				}
				if err := victim.kill(); err != nil {
					return err
				}
				note("replica %s killed with SIGKILL (queue-wide %d tasks in flight, %d pending)", victim.name, st.InFlight, st.Pending)
				restartAt = time.Now().Add(o.KillFor)
				return nil
			}})
		}
		steps = append(steps,
			step{0.50, inject(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", Times: 20}, "5xx burst: the next 20 checks/create answer 500")},
			step{0.60, func() error {
				t0 := time.Now()
				pg.Stop() // fast shutdown: connections are cut
				note("PostgreSQL stopped (fast shutdown)")
				time.Sleep(o.PGDown)
				pg.Restart()
				note("PostgreSQL started again, %s after it was stopped", time.Since(t0).Round(100*time.Millisecond))
				return nil
			}},
			step{0.70, inject(githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, Status: 429, RetryAfter: time.Second, Times: 5}, "secondary rate limit: the next 5 requests answer 429 with Retry-After: 1")},
			step{0.80, inject(githubfake.Fault{Kind: githubfake.FaultHang, Operation: "checks/create", Times: 3}, "hanging responses: the next 3 checks/create never answer")},
			step{0.90, inject(githubfake.Fault{Kind: githubfake.FaultDisconnect, Times: 5}, "dropped connections: the next 5 requests are cut without an answer")},
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
		progress := float64(started.Load()) / float64(o.N)
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
	rep.Accepted, rep.Resent = int(accepted.Load()), int(resent.Load())
	o.Logf("harness: %d deliveries acknowledged in %s (%d re-sent); waiting for the check runs", rep.Accepted, time.Since(start).Round(time.Millisecond), rep.Resent)

	// Wait for a completed run on every commit and an empty queue: a task
	// taken over from the killed replica runs only when its lease expires,
	// and a duplicate would appear then.
	want := make(map[string]int, o.N) // sha -> event index
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

	// Count.
	first := map[string]time.Time{}
	count := map[string]int{}
	for _, r := range runs {
		if _, ok := want[r.HeadSHA]; !ok || r.Name != CheckName {
			continue
		}
		count[r.HeadSHA]++
		rep.CheckRuns++
		switch {
		case r.Status != "completed":
			rep.Incomplete++
			continue
		case r.Conclusion != "success":
			rep.Wrong++
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
			o.Logf("harness: duplicate: %s (delivery %d, first sent at %s) has %d runs, created at %s", sha, i,
				firstTry[i].Sub(start).Round(10*time.Millisecond), count[sha], strings.Join(at, ", "))
		}
		rep.Duplicates += max(count[sha]-1, 0)
		done, ok := first[sha]
		if !ok {
			rep.Lost++
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

// deliver posts one delivery until a replica acknowledges it, starting
// with replica i mod n and moving to the next one after each refusal, as
// GitHub's redelivery of the same GUID would reach whichever replica the
// load balancer picks. It returns how many times it re-sent.
func deliver(ctx context.Context, c *http.Client, replicas []*replica, i int, guid string, payload []byte) (resent int, ok bool) {
	sig := webhook.Sign([]byte(secret), payload)
	backoff := 50 * time.Millisecond
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
		if ctx.Err() != nil {
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

// service is a repository that keeps the contract; each commit changes
// the README only, so every event is a warm check (tree + check run).
func service(repo string, i int) map[string]string {
	return map[string]string{
		"Makefile": "DOCKER_TAG ?= " + repo + "-dev-$(USER)\n\n.PHONY: test itest cook-image\n\n" +
			"test:\n\tgo test ./...\n\nitest: cook-image\n\tdocker run --rm $(DOCKER_TAG) ./run-system-tests\n\n" +
			"cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
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
