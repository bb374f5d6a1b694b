package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// truncatingClient is a fakeClient whose trees GitHub truncates.
type truncatingClient struct{ *fakeClient }

// oneClient hands out one client for every installation.
type oneClient struct{ c Client }

func (o oneClient) Installation(context.Context, int64) (Client, error)           { return o.c, nil }
func (oneClient) RepoInstallation(context.Context, string, string) (int64, error) { return 1, nil }
func (oneClient) Forget(int64)                                                    {}
func (oneClient) Installations(context.Context) ([]int64, error)                  { return []int64{1}, nil }

func (truncatingClient) Tree(context.Context, string, string, string) (fs.FS, error) {
	return nil, fmt.Errorf("read tree: %w", ghclient.ErrTreeTruncated)
}

// A commit that can never be checked still gets a completed run, saying
// why and how to re-run, so that a required check does not wait forever;
// the task is dead-lettered all the same.
func TestChecker_ACommitThatCannotBeCheckedGetsAnActionRequiredRun(t *testing.T) {
	now := time.Unix(1700000000, 0)
	fc := &fakeClient{trees: map[string]fs.FS{}}
	ch := newTestChecker(t, fc, &now)
	ch.Clients = oneClient{truncatingClient{fc}}
	err := runJob(t, ch, checkJob{SHA: "m", DefaultSHA: "m", Event: "push"})
	if !webhook.IsPermanent(err) || !errors.Is(err, ghclient.ErrTreeTruncated) {
		t.Fatalf("err = %v, want the permanent truncated-tree error", err)
	}
	_, runs := fc.take()
	if len(runs) != 1 || runs[0].Failure == nil || runs[0].Result != nil || !errors.Is(runs[0].Failure, ghclient.ErrTreeTruncated) {
		t.Fatalf("published %+v, want one run carrying the failure", runs)
	}
}

// A task that ran before looks for its run before creating one: a retry,
// and a dead letter an operator requeued (its attempts start again, its
// last error stays).
func TestChecker_ATaskThatRanBeforeLooksForItsRunFirst(t *testing.T) {
	for _, tc := range []struct {
		name      string
		attempts  int
		lastError string
		want      bool
	}{
		{"a first attempt creates its run", 1, "", false},
		{"a retry looks first", 2, "GET /x: 502", true},
		{"a requeued dead letter looks first", 1, "gave up after 8 attempts", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1700000000, 0)
			c := &fakeClient{trees: map[string]fs.FS{"m": tree("Makefile", goodMakefile)}}
			ch := newTestChecker(t, c, &now)
			j := checkJob{SHA: "m", DefaultSHA: "m", Event: "push", Installation: 1, Owner: "acme", Repo: "web", DefaultBranch: "main"}
			p, _ := jsonMarshal(j)
			if err := ch.Run(context.Background(), webhook.Task{ID: "check/m", Key: "m", Kind: KindCheck, Payload: p, Attempts: tc.attempts, LastError: tc.lastError}); err != nil {
				t.Fatal(err)
			}
			_, runs := c.take()
			if len(runs) != 1 || runs[0].Resume != tc.want {
				t.Fatalf("published %+v, want one run with Resume %v", runs, tc.want)
			}
		})
	}
}
