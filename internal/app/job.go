package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/contractbot/contractbot/internal/webhook"
)

// KindCheck is the queue kind of a check job: check one commit and publish
// one check run on it.
const KindCheck = "check"

// Enqueuer stores follow-up tasks durably; the processor hands one to every
// handler.
type Enqueuer = webhook.Enqueuer

// checkJob is the payload of a [KindCheck] task: everything the job needs
// that the event told us, so the job makes no API call to rediscover it.
type checkJob struct {
	Installation  int64  `json:"installation"`
	Owner         string `json:"owner"`
	Repo          string `json:"repo"`
	SHA           string `json:"sha"`
	Ref           string `json:"ref,omitempty"` // the pushed branch ("refs/heads/x"), when known
	DefaultBranch string `json:"default_branch,omitempty"`
	// DefaultSHA is a head of the default branch the event named (a pull
	// request's base when it targets the default branch), or "".
	DefaultSHA string `json:"default_sha,omitempty"`
	// SOA marks a push to the soa repository: check Services there.
	SOA      bool     `json:"soa,omitempty"`
	Services []string `json:"services,omitempty"`
	// Before is a soa push's commit the branch was at: the changed
	// services are the directories that differ from it.
	Before string `json:"before,omitempty"`
	// OnlyIfService asks for no check run when the commit is not a PaaSTA
	// service's (onboarding and the sweep look at every repository).
	OnlyIfService bool `json:"only_if_service,omitempty"`
	// Event and Delivery say what asked for the check, for the logs.
	Event    string `json:"event"`
	Delivery string `json:"delivery"`
}

// checkKey is the [webhook.Task.Key] of checks of one commit: the queue never
// runs two of them at once and coalesces pending ones.
func checkKey(owner, repo, sha string) string {
	return strings.ToLower(owner+"/"+repo) + "@" + sha
}

// checkTaskID names the one check of a commit that pushes, pull requests and
// check suites share: whichever event arrives first enqueues it and the
// others are dropped as duplicates, so a commit gets one check run.
func checkTaskID(owner, repo, sha string) string {
	return "check/" + checkKey(owner, repo, sha)
}

// rerunTaskID names a check that a user asked for again (the Re-run
// buttons); it is new for each request, so it runs even though the commit
// was checked before.
func rerunTaskID(owner, repo, sha, deliveryID string) string {
	return checkTaskID(owner, repo, sha) + "/rerun/" + deliveryID
}

// enqueueCheck stores j as a check task with the given id.
func enqueueCheck(ctx context.Context, q Enqueuer, id string, j checkJob) (duplicate bool, err error) {
	p, err := json.Marshal(j)
	if err != nil {
		return false, fmt.Errorf("encode check job: %w", err)
	}
	dup, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: checkKey(j.Owner, j.Repo, j.SHA), Kind: KindCheck, Payload: p})
	if err != nil {
		return false, fmt.Errorf("enqueue check of %s/%s@%s: %w", j.Owner, j.Repo, j.SHA, err)
	}
	return dup, nil
}
