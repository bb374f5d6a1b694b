package github_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// noteSetup publishes a completed check run with external id "task-1"
// and returns the fake and the commit.
func noteSetup(t *testing.T) (*githubfake.Server, string) {
	t.Helper()
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh)
	run := github.CheckRun{HeadSHA: sha, ExternalID: "task-1", Result: &checks.Result{}}
	if _, err := c.PublishCheckRun(context.Background(), "acme", "svc", run); err != nil {
		t.Fatal(err)
	}
	return gh, sha
}

// summaryOf returns the summary of the commit's one check run.
func summaryOf(t *testing.T, gh *githubfake.Server, sha string) string {
	t.Helper()
	runs := gh.CheckRuns("acme", "svc", sha)
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
	return runs[0].Summary
}

// A note's PATCH whose answer was lost is looked at before anything is
// sent again: the note is there once, and the run's own summary stays.
func TestClient_AppendToCheckRunAddsTheNoteOnceWhenTheAnswerIsLost(t *testing.T) {
	for _, fault := range []githubfake.Fault{
		{Kind: githubfake.FaultServerError, Operation: "checks/update", After: true},
		{Kind: githubfake.FaultDisconnect, Operation: "checks/update", After: true},
		{Kind: githubfake.FaultServerError, Operation: "checks/update", Status: 502},
	} {
		name := fmt.Sprintf("%v after=%v", fault.Kind, fault.After)
		t.Run(name, func(t *testing.T) {
			gh, sha := noteSetup(t)
			before := summaryOf(t, gh, sha)
			_, c := newClient(t, gh, github.WithNoSleep())
			gh.InjectFault(fault)
			found, err := c.AppendToCheckRun(context.Background(), "acme", "svc", sha, github.DefaultCheckRunName, "task-1", "**a note**")
			if err != nil || !found {
				t.Fatalf("append: %v, %v", found, err)
			}
			got := summaryOf(t, gh, sha)
			if n := strings.Count(got, "**a note**"); n != 1 || !strings.Contains(got, before) {
				t.Fatalf("the note is there %d times, want once, before the run's summary:\n%s", n, got)
			}
		})
	}
}

// Nothing serializes the notes on one check run: in the soa repository
// each service's fix pull request job has its own queue key and notes on
// the same run. Notes written at once, by one replica or two, all land.
func TestClient_AppendToCheckRunKeepsEveryNoteOfConcurrentWriters(t *testing.T) {
	t.Run("eight notes at once from one process all land", func(t *testing.T) {
		gh, sha := noteSetup(t)
		_, c := newClient(t, gh, github.WithNoSleep())
		gh.SetLatency(20 * time.Millisecond) // widens the GET-to-PATCH window
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Go(func() {
				_, err := c.AppendToCheckRun(context.Background(), "acme", "svc", sha, github.DefaultCheckRunName, "task-1", fmt.Sprintf("**note %d**", i))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got := summaryOf(t, gh, sha)
		for i := range 8 {
			if n := strings.Count(got, fmt.Sprintf("**note %d**", i)); n != 1 {
				t.Errorf("note %d is there %d times, want once", i, n)
			}
		}
	})
	t.Run("a resend after a lost answer does not erase another replica's note written meanwhile", func(t *testing.T) {
		gh, sha := noteSetup(t)
		ctx := context.Background()
		_, slow := newClient(t, gh, github.WithNoSleep(), github.WithTimeout(time.Second))
		_, other := newClient(t, gh, github.WithNoSleep()) // another replica: its own Apps
		// The first note's PATCH lands, its answer comes after the
		// client gave up; the other replica notes in between.
		gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultLatency, Operation: "checks/update", After: true, Latency: 3 * time.Second})
		done := make(chan error, 1)
		go func() {
			_, err := slow.AppendToCheckRun(ctx, "acme", "svc", sha, github.DefaultCheckRunName, "task-1", "**first**")
			done <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(summaryOf(t, gh, sha), "**first**"); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the first note never landed")
			}
		}
		if _, err := other.AppendToCheckRun(ctx, "acme", "svc", sha, github.DefaultCheckRunName, "task-1", "**second**"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := summaryOf(t, gh, sha)
		for _, note := range []string{"**first**", "**second**"} {
			if n := strings.Count(got, note); n != 1 {
				t.Errorf("%s is there %d times, want once:\n%s", note, n, got)
			}
		}
	})
}

// A check run beyond the newest 100 of its name on a commit (a commit
// checked again and again) is still found: a resumed publication does not
// create a second run, and a note lands on it.
func TestClient_FindsACheckRunBeyondTheFirstPage(t *testing.T) {
	gh, sha := noteSetup(t) // task-1, the oldest
	ctx := context.Background()
	_, c := newClient(t, gh, github.WithNoSleep())
	for i := range 100 {
		run := github.SimpleCheckRun{Name: github.DefaultCheckRunName, HeadSHA: sha, ExternalID: fmt.Sprintf("later-%d", i),
			Conclusion: github.ConclusionSuccess, Title: "later", Summary: "later"}
		if _, err := c.PublishSimpleCheckRun(ctx, "acme", "svc", run); err != nil {
			t.Fatal(err)
		}
	}
	run := github.CheckRun{HeadSHA: sha, ExternalID: "task-1", Result: &checks.Result{}, Resume: true}
	if _, err := c.PublishCheckRun(ctx, "acme", "svc", run); err != nil {
		t.Fatal(err)
	}
	if n := len(gh.CheckRuns("acme", "svc", sha)); n != 101 {
		t.Fatalf("%d check runs, want 101: the resumed run was created again", n)
	}
	found, err := c.AppendToCheckRun(ctx, "acme", "svc", sha, github.DefaultCheckRunName, "task-1", "**a note**")
	if err != nil || !found {
		t.Fatalf("append to the oldest run: %v, %v", found, err)
	}
}
