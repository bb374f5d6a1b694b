package app_test

import (
	"net/http"
	"strings"
	"testing"
)

// The fleet is each service's default branch: a push to another branch
// (a feature branch, a pull request's head, the App's own fix commit on
// contractbot/fix) gets its check run but leaves the service's status in
// the fleet gauges and the dashboard as its default branch has it.
func TestServe_TheFleetShowsTheDefaultBranchNotTheLastBranchChecked(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	broken := fake.Push(e2eOwner, "web", "main", withFiles(goodService(), "Makefile", makefileWith("DOCKER_TAG := x")))
	if got := b.deliver("push", pushPayload(t, "web", "main", zeroSHA, broken, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	waitCheckRuns(t, b, "web", broken, 1)
	metric := func(want string) bool {
		resp, err := http.Get(b.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(readAll(t, resp), want+"\n")
	}
	waitFor(t, "the failing default branch in the fleet", func() bool { return metric("contractbot_fleet_services_failing 1") })

	clean := fake.Push(e2eOwner, "web", "feature", goodService())
	if got := b.deliver("push", pushPayload(t, "web", "feature", zeroSHA, clean, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	if runs := waitCheckRuns(t, b, "web", clean, 1); runs[0].Conclusion != "success" {
		t.Fatalf("check run of the feature branch: %+v", runs[0])
	}
	waitLog(t, b, "task done", 4) // the delivery and the check of each push
	if !metric("contractbot_fleet_services_failing 1") {
		t.Fatal("a clean feature branch counts the service as keeping the contract while its default branch breaks it")
	}
}
