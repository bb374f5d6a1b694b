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
// of latency, 5xx bursts, secondary rate limits, hanging responses,
// dropped connections, writes whose answer is lost after the fake carried
// them out (502, reset, an answer later than the timeout) and a tree cut
// off mid-JSON; events of a two-hour outage before the run wait in the
// fake's delivery log for the reconciler; one replica is killed with
// SIGKILL while it has tasks in flight and restarted, and PostgreSQL is
// restarted twice, mid-run. No event may be lost or get two check runs,
// no annotation may be sent twice, and the p99 latency has a bound.
//
// The environment shapes it: CONTRACTBOT_HARNESS_N deliveries (default
// 600, about 20 s), CONTRACTBOT_HARNESS_RATE per second (default 100; -1
// is unpaced), CONTRACTBOT_HARNESS_LEASE (default 10s),
// CONTRACTBOT_HARNESS_VALIDATE=0 to stop the fake validating against
// GitHub's OpenAPI description, CONTRACTBOT_HARNESS_NOFAULTS=1 for a
// baseline, CONTRACTBOT_HARNESS_OUTAGE events of the outage (default a
// tenth of N), CONTRACTBOT_HARNESS_MAX_P99 the latency bound (default
// 2 × lease + 10 s when paced), CONTRACTBOT_HARNESS_BINARY to run another
// contractbot binary than this tree's (to compare). The report for
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
	if v := os.Getenv("CONTRACTBOT_HARNESS_OUTAGE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			t.Fatalf("CONTRACTBOT_HARNESS_OUTAGE is %q; want a number of events (-1: none)", v)
		}
		o.Outage = n
	}
	if v := os.Getenv("CONTRACTBOT_HARNESS_MAX_P99"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CONTRACTBOT_HARNESS_MAX_P99 is %q; want a duration", v)
		}
		o.MaxP99 = d
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
	// Every check that can fail: deliveries given up or acknowledged
	// without being stored, events lost (outage ones included), duplicate
	// runs or annotations, runs left in progress or wrong, dead letters, a
	// kill that hit nothing, the p99 latency over its bound, API requests
	// over their budget.
	for _, p := range rep.Problems() {
		t.Error(p)
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
