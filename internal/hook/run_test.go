package hook

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/contractbot/contractbot/internal/gittest"
)

// commitTree makes a repository with one commit of files and returns its
// git directory and the commit.
func commitTree(t *testing.T, files map[string]string) (gitDir, commit string) {
	t.Helper()
	dir, commit := gittest.Commit(t, files)
	return filepath.Join(dir, ".git"), commit
}

func TestAConfigThatSetsARefRuleIsValidOnAGuardedBranch(t *testing.T) {
	gitDir, commit := commitTree(t, map[string]string{
		".contractbot.yaml": "service: web\nrules:\n  ref.image: warning\n",
	})
	store, err := gitobj.Open(context.Background(), gitobj.Options{GitDir: gitDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out bytes.Buffer
	updates := []Update{{Old: strings.Repeat("0", 40), New: commit, Ref: "refs/heads/main"}}
	v, err := Run(context.Background(), Config{Branches: []string{"refs/heads/main"}, RepoName: "web"}, store, updates, &out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "config.invalid") {
		t.Errorf("ref.image, a documented rule id, made the configuration invalid (verdict %+v):\n%s", v, out.String())
	}
}

func TestTheConfigOnHeadSetsTheSeverityOfRefRules(t *testing.T) {
	gitDir, commit := commitTree(t, map[string]string{
		".contractbot.yaml": "service: web\nrules:\n  ref.deploy-group: warning\n",
	})
	store, err := gitobj.Open(context.Background(), gitobj.Options{GitDir: gitDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	soa := fstest.MapFS{"web/deploy.yaml": {Data: []byte("pipeline:\n- step: prod.main\n")}}
	var out bytes.Buffer
	ref := "refs/tags/paasta-nope-20260102T030405-deploy"
	updates := []Update{{Old: strings.Repeat("0", 40), New: commit, Ref: ref}}
	v, err := Run(context.Background(), Config{RepoName: "web", SOA: soa}, store, updates, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Accept || v.Errors != 0 || v.Warnings != 1 || len(v.Findings) != 1 || v.Findings[0].RuleID != "ref.deploy-group" {
		t.Errorf("verdict %+v, want the push accepted with one ref.deploy-group warning:\n%s", v, out.String())
	}
}

func TestABrokenConfigOnHeadRefusesADeployRefWithItsLine(t *testing.T) {
	gitDir, commit := commitTree(t, map[string]string{".contractbot.yaml": "service: web\nrules:\n  ref.nope: off\n"})
	store, err := gitobj.Open(context.Background(), gitobj.Options{GitDir: gitDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out bytes.Buffer
	updates := []Update{{Old: strings.Repeat("0", 40), New: commit, Ref: "refs/tags/paasta-prod.main-20260102T030405-deploy"}}
	v, err := Run(context.Background(), Config{RepoName: "web"}, store, updates, &out)
	if err != nil {
		t.Fatal(err)
	}
	if v.Accept || len(v.Findings) != 1 || v.Findings[0].String() != `.contractbot.yaml:3: error: unknown rule "ref.nope" (contractbot rules lists them) [config.invalid]` {
		t.Errorf("verdict %+v, want the push refused with one config.invalid finding:\n%s", v, out.String())
	}
}

func TestTheMessageIsEscapedAndBounded(t *testing.T) {
	gitDir, commit := commitTree(t, map[string]string{"x": "x\n"})
	store, err := gitobj.Open(context.Background(), gitobj.Options{GitDir: gitDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var updates []Update
	for i := range 1000 {
		// Malformed names (a bad timestamp), one with a terminal escape.
		name := fmt.Sprintf("refs/tags/paasta-prod.main-2026010%dT99-deploy", i)
		if i == 0 {
			name = "refs/tags/paasta-\x1b[2Jprod-deploy"
		}
		updates = append(updates, Update{Old: strings.Repeat("0", 40), New: commit, Ref: name})
	}
	var out bytes.Buffer
	v, err := Run(context.Background(), Config{RepoName: "web"}, store, updates, &out)
	if err != nil {
		t.Fatal(err)
	}
	if v.Accept || v.Errors != 1000 {
		t.Fatalf("verdict %+v, want 1000 errors and the push refused", v)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("a raw escape reached the pusher's terminal:\n%q", out.String())
	}
	lines := strings.Count(out.String(), "\n")
	if lines > 5*MaxRefsShown+10 {
		t.Errorf("%d lines for 1000 bad refs, want them bounded:\n%s", lines, out.String())
	}
	if !strings.Contains(out.String(), "990 more refs have problems") || !strings.Contains(out.String(), "1000 errors") {
		t.Errorf("the message does not count what it leaves out:\n%s", out.String())
	}
}
