package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fix"
)

// A review suggestion, a check run's "Suggested fix" details and
// `contractbot fix` all come from a finding's preferred SuggestedFix. This
// proves the review's half over every service fixture: committing the
// suggestion on GitHub (its lines replaced by the block) gives the file
// `contractbot fix` writes for that finding.
func TestReview_CommittingASuggestionWritesWhatContractbotFixWrites(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "fixtures", "services", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, dir := range dirs {
		repo := os.DirFS(dir)
		target, err := checks.Prepare(context.Background(), repo, checks.Options{DefaultService: filepath.Base(dir)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Run(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			edit, ok := suggestion(f)
			if !ok {
				continue
			}
			t.Run(filepath.Base(dir)+"/"+f.RuleID, func(t *testing.T) {
				src, err := os.ReadFile(filepath.Join(dir, edit.Path))
				if err != nil {
					t.Fatal(err)
				}
				fx, _ := f.Fix()
				want, err := fix.Apply(src, fx.Edits)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.SplitAfter(string(src), "\n")
				replacement := edit.NewText
				if replacement != "" && !strings.HasSuffix(replacement, "\n") {
					replacement += "\n"
				}
				got := strings.Join(lines[:edit.Line-1], "") + replacement + strings.Join(lines[max(edit.EndLine, edit.Line):], "")
				if got != string(want) {
					t.Fatalf("the suggestion gives\n%s\ncontractbot fix writes\n%s", got, want)
				}
			})
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("no fixture has a finding with a one-line suggestion")
	}
	t.Logf("%d suggestions agree with contractbot fix", compared)
}
