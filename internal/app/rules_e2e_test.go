package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

// badMakefile breaks the contract on known lines: DOCKER_TAG on line 3 is
// not overridable, and there is no itest target.
const badMakefile = `# A Makefile that breaks the contract.

DOCKER_TAG = example-service-latest

test:
	go test ./...

cook-image:
	docker build -t $(DOCKER_TAG) .
`

func TestServe_ABadMakefileFailsWithAnnotationsAtTheRightLines(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	files := withFiles(goodService(), "Makefile", badMakefile)
	want := oracle(t, "web", files)
	if want.OK {
		t.Fatalf("fixture: the engine finds no error in the bad Makefile: %v", want.Findings)
	}

	sha := fake.Push(e2eOwner, "web", "main", files)
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push delivery: status %d, want 202", got)
	}
	runs := waitCheckRuns(t, b, "web", sha, 1)
	run := runs[0]
	if run.Conclusion != "failure" {
		t.Errorf("conclusion = %q, want failure", run.Conclusion)
	}
	if len(run.Annotations) != len(want.Findings) {
		t.Fatalf("%d annotations, want one per finding (%d): %+v", len(run.Annotations), len(want.Findings), run.Annotations)
	}
	levels := map[checks.Severity]string{checks.SeverityError: "failure", checks.SeverityWarning: "warning", checks.SeverityNotice: "notice"}
	for i, f := range want.Findings {
		a := run.Annotations[i]
		if a.Path != f.Path || a.StartLine != f.Line || a.EndLine != f.EndLine || a.AnnotationLevel != levels[f.Severity] || !strings.Contains(a.Message, f.Message) {
			t.Errorf("annotation %d = %s:%d-%d %s %q, want %s:%d-%d %s %q", i, a.Path, a.StartLine, a.EndLine, a.AnnotationLevel, a.Message, f.Path, f.Line, f.EndLine, levels[f.Severity], f.Message)
		}
	}
	onTagLine := false
	for _, a := range run.Annotations {
		onTagLine = onTagLine || (a.Path == "Makefile" && a.StartLine == 3)
	}
	if !onTagLine {
		t.Errorf("no annotation on Makefile line 3 (DOCKER_TAG = ...): %+v", run.Annotations)
	}
}

func TestServe_MoreThan50FindingsArePostedInSeveralRequestsWithout422(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	files := manyFindingsService()
	want := oracle(t, "web", files)
	if len(want.Findings) <= 50 {
		t.Fatalf("fixture: %d findings, want more than 50", len(want.Findings))
	}
	sha := fake.Push(e2eOwner, "web", "main", files)
	before := fake.Calls()
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	run := waitCheckRuns(t, b, "web", sha, 1)[0]
	calls := diffCalls(before, fake.Calls())
	if calls["checks/create"] != 1 || calls["checks/update"] < 1 {
		t.Errorf("calls = %v, want one checks/create and at least one checks/update", calls)
	}
	if want := min(len(want.Findings), 500); len(run.Annotations) != want {
		t.Errorf("%d annotations, want %d", len(run.Annotations), want)
	}
	if run.Conclusion != "failure" {
		t.Errorf("conclusion = %q, want failure", run.Conclusion)
	}
}

// manyFindingsService is a repository whose Makefile has more than 50
// findings: 60 recipe lines indented with spaces instead of a tab.
func manyFindingsService() map[string]string {
	var mk strings.Builder
	mk.WriteString(goodMakefile)
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&mk, "\nstep%d:\n        echo step %d\n", i, i)
	}
	return withFiles(goodService(), "Makefile", mk.String())
}
