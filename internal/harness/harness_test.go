package harness_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/harness"
)

// TestHarness drives signed push deliveries into two contractbot serve
// replicas sharing a PostgreSQL queue, against the fake GitHub with 20 ms
// of latency, 5xx bursts, secondary rate limits, hanging responses and
// dropped connections; one replica is killed with SIGKILL and restarted,
// and PostgreSQL is restarted, mid-run. No event may be lost or get two
// check runs.
//
// The environment shapes it: CONTRACTBOT_HARNESS_N deliveries (default
// 600, about 20 s), CONTRACTBOT_HARNESS_RATE per second (default 100; -1
// is unpaced), CONTRACTBOT_HARNESS_LEASE (default 10s),
// CONTRACTBOT_HARNESS_VALIDATE=0 to stop the fake validating against
// GitHub's OpenAPI description, CONTRACTBOT_HARNESS_NOFAULTS=1 for a
// baseline, CONTRACTBOT_HARNESS_BINARY to run another contractbot binary
// than this tree's (to compare). The report for
// BENCHMARKS.md:
//
//	CONTRACTBOT_HARNESS_N=10000 go test ./internal/harness -run TestHarness -count=1 -v -timeout 30m
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("the harness runs two serve processes and PostgreSQL for half a minute")
	}
	o := harness.Options{N: 600, Validate: true, Logf: t.Logf}
	if v := os.Getenv("CONTRACTBOT_HARNESS_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CONTRACTBOT_HARNESS_N is %q; want a positive number", v)
		}
		o.N = n
	}
	if v := os.Getenv("CONTRACTBOT_HARNESS_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r == 0 {
			t.Fatalf("CONTRACTBOT_HARNESS_RATE is %q; want deliveries per second", v)
		}
		o.Rate = r
	}
	if v := os.Getenv("CONTRACTBOT_HARNESS_LEASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			t.Fatalf("CONTRACTBOT_HARNESS_LEASE is %q; want a duration of at least 1s", v)
		}
		o.Lease = d
	}
	o.Validate = os.Getenv("CONTRACTBOT_HARNESS_VALIDATE") != "0"
	o.NoFaults = os.Getenv("CONTRACTBOT_HARNESS_NOFAULTS") == "1"
	o.Binary = os.Getenv("CONTRACTBOT_HARNESS_BINARY") // another build, to compare
	if o.Binary == "" {
		o.Binary = build(t)
	}

	rep, err := harness.Run(context.Background(), t, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fault and load harness report:\n\n%s", rep.Table())
	if rep.Accepted != rep.Sent {
		t.Errorf("%d of %d deliveries were never acknowledged", rep.Sent-rep.Accepted, rep.Sent)
	}
	if rep.Lost != 0 {
		t.Errorf("%d events lost: their commits have no check run", rep.Lost)
	}
	if rep.Duplicates != 0 {
		t.Errorf("%d duplicate check runs", rep.Duplicates)
	}
	// Warm, an event costs 2 requests (tree, check run). Each replica's
	// cold cache adds a Makefile blob per repository (one per 50 events),
	// and the faults add their retries, tokens and the look-ups of retried
	// checks: a few hundred requests in all, not a request per event.
	if limit := 2*rep.Sent + 3*rep.Sent/50 + 300; rep.APICalls > limit {
		t.Errorf("%d API requests for %d events, want at most %d: %v", rep.APICalls, rep.Sent, limit, rep.Calls)
	}
	if rep.Incomplete != 0 || rep.Wrong != 0 || rep.Dead != 0 {
		t.Errorf("%d runs left in progress, %d with a wrong conclusion, %d dead-lettered tasks; want none", rep.Incomplete, rep.Wrong, rep.Dead)
	}
}

// build compiles the contractbot binary, or skips the test when there is
// no go command (fails under CONTRACTBOT_REQUIRE_ITEST=1).
func build(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatalf("the harness builds contractbot with the go command: %v", err)
		}
		t.Skipf("no go command to build contractbot: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "contractbot")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/contractbot/contractbot/cmd/contractbot").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
