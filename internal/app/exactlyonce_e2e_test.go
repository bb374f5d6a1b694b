package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
)

// brokenMakefile keeps the contract but for n recipe lines indented with
// spaces: n makefile.tabs errors, so n annotations in ceil(n/50) requests.
func brokenMakefile(n int) string {
	var b strings.Builder
	b.WriteString(goodMakefile)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "\nstep%d:\n    echo %d\n", i, i)
	}
	return b.String()
}

// Issue 15, defect 1, end to end: GitHub carries out a check-run write and
// its answer is lost. The real binary must leave one run on the commit
// with every annotation once.
func TestServe_AWriteGitHubCarriedOutWhoseAnswerWasLostIsNotRepeated(t *testing.T) {
	fake := newFake(t)
	// The binary waits 1 s for an answer, so that an answer 2 s late is
	// one it gave up on.
	b := startBot(t, fake, "CONTRACTBOT_GITHUB_TIMEOUT=1s")
	tests := []struct {
		name     string
		findings int
		fault    githubfake.Fault
	}{
		{"a 502 after the run was created", 0,
			githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", After: true}},
		{"an answer later than the timeout after the run was created", 0,
			githubfake.Fault{Kind: githubfake.FaultLatency, Operation: "checks/create", After: true, Latency: 2 * time.Second}},
		{"a reset after the run was created", 0,
			githubfake.Fault{Kind: githubfake.FaultDisconnect, Operation: "checks/create", After: true}},
		{"a 502 after an annotation batch was appended", 130,
			githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/update", After: true}},
		{"a reset after every annotation batch", 130,
			githubfake.Fault{Kind: githubfake.FaultDisconnect, Operation: "checks/update", After: true, Times: 2}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := fmt.Sprintf("lost%d", i)
			files := goodService()
			if tc.findings > 0 {
				files["Makefile"] = brokenMakefile(tc.findings)
			}
			sha := fake.Push(e2eOwner, repo, "main", files)
			fake.InjectFault(tc.fault)
			if got := b.deliver("push", pushPayload(t, repo, "main", zero, sha, "Makefile")); got != http.StatusAccepted {
				t.Fatalf("push delivery: status %d, want 202", got)
			}
			waitCheckRuns(t, b, repo, sha, 1)
			time.Sleep(3 * time.Second) // a second run, or a repeated batch, would come by now
			runs := fake.CheckRuns(e2eOwner, repo, sha)
			if len(runs) != 1 {
				t.Fatalf("%d check runs on the commit, want 1", len(runs))
			}
			if got := len(runs[0].Annotations); got != tc.findings {
				t.Errorf("%d annotations for %d findings", got, tc.findings)
			}
			seen := map[string]bool{}
			for _, a := range runs[0].Annotations {
				k := fmt.Sprint(a.Path, a.StartLine, a.Message)
				if seen[k] {
					t.Fatalf("annotation %s sent twice", k)
				}
				seen[k] = true
			}
		})
	}
}

// Issue 15, defect 5, end to end: GitHub refuses the second annotation
// batch (422). The run is completed as action_required, saying how to
// re-run, instead of staying in progress and blocking merges; the task is
// dead-lettered, not retried 8 times.
func TestServe_ARunGitHubRefusesPartWayIsCompletedAndTheTaskDeadLettered(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "refused", "main", withFiles(goodService(), "Makefile", brokenMakefile(130)))
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/update", Status: http.StatusUnprocessableEntity})
	if got := b.deliver("push", pushPayload(t, "refused", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push delivery: status %d, want 202", got)
	}
	runs := waitCheckRuns(t, b, "refused", sha, 1)
	r := runs[0]
	if len(runs) != 1 || r.Conclusion != "action_required" || len(r.Annotations) != 50 {
		t.Fatalf("runs = %d, the first %s/%s with %d annotations; want one action_required run with the 50 that landed",
			len(runs), r.Status, r.Conclusion, len(r.Annotations))
	}
	if !strings.Contains(r.Summary, "Re-run") || !strings.Contains(r.Summary, "422") {
		t.Errorf("summary does not say what went wrong and how to re-run:\n%s", r.Summary)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.logs.String(), `"task dead-lettered"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the task was not dead-lettered:\n%s", b.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Issue 15, defect 4, end to end: the commit's tree comes back cut off
// mid-JSON once. The retried check must read it again, not replay the
// cut-off body from the conditional-request cache until it is
// dead-lettered.
func TestServe_ATreeCutOffOnceDoesNotPoisonTheCache(t *testing.T) {
	fake := githubfake.New(t, githubfake.RecordViolations())
	fake.AddInstallation(e2eInstallation, e2eOwner)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "cut", "main", goodService())
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultTruncatedBody, Operation: "git/get-tree"})
	if got := b.deliver("push", pushPayload(t, "cut", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push delivery: status %d, want 202", got)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs := fake.CheckRuns(e2eOwner, "cut", sha)
		if len(runs) == 1 && runs[0].Status == "completed" && runs[0].Conclusion == "success" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful run 30 s after one cut-off tree (runs: %+v):\n%s", runs, b.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
