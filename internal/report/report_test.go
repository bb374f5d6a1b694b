package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func loadResults(t *testing.T) []*checks.Result {
	t.Helper()
	b, err := os.ReadFile("testdata/in-results.json")
	if err != nil {
		t.Fatal(err)
	}
	var rs []*checks.Result
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

func testTool() Tool {
	run := func(context.Context, *checks.Pass) error { return nil }
	doc := "Why it matters, and how to fix it, in one paragraph of text."
	return Tool{Version: "test", Rules: []*checks.Rule{
		{ID: "makefile.docker-tag", Severity: checks.SeverityError, Needs: checks.NeedsRepo, Title: "docker tag", Doc: doc, Run: run},
		{ID: "makefile.cook-image", Severity: checks.SeverityWarning, Needs: checks.NeedsRepo, Title: "cook image", Doc: doc, Run: run},
	}}
}

func TestPrintersMatchGoldenFiles(t *testing.T) {
	results := loadResults(t)
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			sink, err := New(f, &buf, testTool())
			if err != nil {
				t.Fatal(err)
			}
			if err := Publish(context.Background(), sink, results...); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden-"+string(f)+".txt")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("output differs from %s (rerun with -update if intended):\n%s", golden, got)
			}
		})
	}
}

func TestJSONOfOneResultIsTheResultObject(t *testing.T) {
	var buf bytes.Buffer
	if err := Publish(context.Background(), &JSON{W: &buf}, loadResults(t)[0]); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"service", "ok", "findings", "facts"} {
		if _, ok := v[k]; !ok {
			t.Errorf("key %q missing from %s", k, buf.String())
		}
	}
}

func TestActionsCommandsCannotBeInjected(t *testing.T) {
	rs := []*checks.Result{{Findings: []checks.Finding{{
		RuleID: "a.b", Severity: checks.SeverityError, Path: "x,y:z", Line: 1, EndLine: 1,
		Message: "first\n::error::second",
	}}}}
	var buf bytes.Buffer
	if err := Publish(context.Background(), &Actions{W: &buf}, rs...); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("one finding became %d lines: %q", n, buf.String())
	}
	if !strings.Contains(buf.String(), "file=x%2Cy%3Az,") {
		t.Fatalf("path not escaped: %q", buf.String())
	}
}

func TestSARIFLocationsAreURIs(t *testing.T) {
	rs := []*checks.Result{{Findings: []checks.Finding{{
		RuleID: "a.b", Severity: checks.SeverityError, Path: "c:d/a b#1%.yaml", Line: 1, EndLine: 1, Message: "m",
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("f", "c:d/a b#1%.yaml", 1, 1, "")},
	}}}}
	var buf bytes.Buffer
	if err := Publish(context.Background(), &SARIF{W: &buf}, rs...); err != nil {
		t.Fatal(err)
	}
	const want = `"uri": "c%3Ad/a%20b%231%25.yaml"`
	if n := strings.Count(buf.String(), want); n != 2 {
		t.Fatalf("%d of 2 locations are %s:\n%s", n, want, buf.String())
	}
}

func TestSummary(t *testing.T) {
	f := func(s checks.Severity) checks.Finding { return checks.Finding{Severity: s} }
	tests := []struct {
		in   []checks.Finding
		want string
	}{
		{nil, "no problems"},
		{[]checks.Finding{f(checks.SeverityError)}, "1 error"},
		{[]checks.Finding{f(checks.SeverityError), f(checks.SeverityError), f(checks.SeverityWarning)}, "2 errors, 1 warning"},
		{[]checks.Finding{f(checks.SeverityNotice), f(checks.SeverityNotice)}, "2 notices"},
		{slices.Repeat([]checks.Finding{f(checks.SeverityWarning)}, 1200), "1,200 warnings"},
	}
	for _, tt := range tests {
		if got := Summary(tt.in); got != tt.want {
			t.Errorf("Summary(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatFlagRejectsUnknownNames(t *testing.T) {
	var f Format
	if err := f.Set("xml"); err == nil || !strings.Contains(err.Error(), "text, json, sarif, github") {
		t.Fatalf("Set(xml) = %v", err)
	}
	if err := f.Set("sarif"); err != nil || f != FormatSARIF {
		t.Fatalf("Set(sarif) = %v, %q", err, f)
	}
}

// hostile is what a repository can put into a message: a file name or a
// value with terminal escapes, a carriage return, a newline followed by a
// workflow command, a bidi override and a byte that is not UTF-8.
const hostile = "x\x1b[2J\x1b]0;TITLE\a\rback\n::warning::injected\u202egnp.exe\xff"

func TestEveryTextFormatEscapesRepositoryText(t *testing.T) {
	rs := []*checks.Result{{Service: "svc\x1b[5m", Findings: []checks.Finding{{
		RuleID: "a.b", Severity: checks.SeverityError, Path: "::error::dir/Makefile", Line: 1, EndLine: 1, Message: hostile,
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("f\x1b[1m", "Makefile", 1, 1, "DOCKER_TAG ?= \x1b[2J\n")},
	}}}}
	for _, f := range []Format{FormatText, FormatGitHub} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			sink, err := New(f, &buf, testTool())
			if err != nil {
				t.Fatal(err)
			}
			if err := Publish(context.Background(), sink, rs...); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, bad := range []string{"\x1b", "\r", "\a", "\u202e", "\xff"} {
				if strings.Contains(out, bad) {
					t.Errorf("output holds %q raw:\n%q", bad, out)
				}
			}
			ls := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for i, line := range ls {
				own := f == FormatGitHub && i == 0 && strings.HasPrefix(line, "::error file=")
				if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") && !own {
					t.Errorf("line %d starts a workflow command: %q", i+1, line)
				}
			}
			if f == FormatGitHub && len(ls) != 1 {
				t.Errorf("one finding became %d lines:\n%s", len(ls), out)
			}
			if f == FormatText && !strings.Contains(out, `x\x1b[2J\x1b]0;TITLE\x07\x0dback`) {
				t.Errorf("escapes are not shown as \\xNN:\n%s", out)
			}
		})
	}
}

func TestEscapeCutsLongValues(t *testing.T) {
	long := strings.Repeat("9", 100000)
	got := Escape(long)
	if n := len([]rune(got)); n > MaxMessageRunes+40 || !strings.HasSuffix(got, "… (99000 more characters)") {
		t.Fatalf("Escape of 100,000 digits is %d runes, ending %q", n, got[len(got)-40:])
	}
	if Escape("plain text, ünïcode and\ttabs\nand lines") != "plain text, ünïcode and\ttabs\nand lines" {
		t.Error("Escape changed plain text")
	}
}

func TestARefFindingHasNoFileInAnyFormat(t *testing.T) {
	rs := []*checks.Result{{Findings: []checks.Finding{{
		RuleID: "ref.name", Severity: checks.SeverityError, Subject: "refs/tags/paasta-x", Column: 17, Message: "bad",
	}}}}
	want := map[Format]string{
		FormatText:   "refs/tags/paasta-x: error: bad [ref.name] docs/rules.md#refname\n",
		FormatGitHub: "::error title=ref.name refs/tags/paasta-x::bad\n",
	}
	for f, w := range want {
		var buf bytes.Buffer
		sink, _ := New(f, &buf, testTool())
		if err := Publish(context.Background(), sink, rs...); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), w) {
			t.Errorf("%s: %q, want it to start with %q", f, buf.String(), w)
		}
	}
	var buf bytes.Buffer
	if err := Publish(context.Background(), &SARIF{W: &buf}, rs...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"fullyQualifiedName": "refs/tags/paasta-x"`) || strings.Contains(buf.String(), "physicalLocation") {
		t.Errorf("SARIF of a ref finding:\n%s", buf.String())
	}
}

func TestMultiPostsAndFlushesEverySink(t *testing.T) {
	var a, b bytes.Buffer
	if err := Publish(context.Background(), Multi(&Text{W: &a}, &JSON{W: &b}), loadResults(t)...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.String(), "web-api breaks the PaaSTA contract") || !strings.Contains(b.String(), `"results"`) {
		t.Errorf("text:\n%s\njson:\n%s", a.String(), b.String())
	}
}

func TestRebaseMovesEveryPathOfAFindingAndLeavesTheOriginal(t *testing.T) {
	in := &checks.Result{Findings: []checks.Finding{{
		RuleID: "a.b", Severity: checks.SeverityError, Path: "Makefile", Line: 3, EndLine: 3, Message: "m",
		Related:        []checks.Related{{Position: checks.Position{Path: "Dockerfile", Line: 1, EndLine: 1}, Message: "r"}},
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("f", "Makefile", 3, 3, "x\n")},
	}, {
		RuleID: "ref.name", Severity: checks.SeverityError, Subject: "refs/tags/x", Message: "bad",
	}}}
	var got []*checks.Result
	sink := Rebase(sinkFunc(func(r *checks.Result) { got = append(got, r) }), Base{Repo: "../svc", SOA: "soa"})
	if err := Publish(context.Background(), sink, in); err != nil {
		t.Fatal(err)
	}
	f := got[0].Findings[0]
	if f.Path != "../svc/Makefile" || f.Related[0].Path != "../svc/Dockerfile" || f.SuggestedFixes[0].Edits[0].Path != "../svc/Makefile" {
		t.Errorf("rebased finding: %+v", f)
	}
	if r := got[0].Findings[1]; r.Path != "" || r.Subject != "refs/tags/x" {
		t.Errorf("a ref finding got a path: %+v", r)
	}
	if o := in.Findings[0]; o.Path != "Makefile" || o.Related[0].Path != "Dockerfile" || o.SuggestedFixes[0].Edits[0].Path != "Makefile" {
		t.Errorf("the original finding was changed: %+v", o)
	}
}

type sinkFunc func(*checks.Result)

func (f sinkFunc) Post(_ context.Context, r *checks.Result) error { f(r); return nil }

// A run over many services is silent about clean ones and ends with one
// total line; Verbose names every service as well.
func TestTextTotalIsOneLineForTheWholeRun(t *testing.T) {
	results := loadResults(t)
	clean := &checks.Result{Service: "quiet", OK: true, Findings: []checks.Finding{}}
	many := make([]*checks.Result, 4000)
	for i := range many {
		many[i] = clean
	}
	for _, tt := range []struct {
		name    string
		in      []*checks.Result
		verbose bool
		golden  string
	}{
		{"findings then the total", results, false, "golden-text-total.txt"},
		{"verbose names every service", results, true, "golden-text-total-verbose.txt"},
		{"a clean run of 4,000 services is one line", many, false, "golden-text-total-clean.txt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Publish(context.Background(), &Text{W: &buf, Docs: DefaultDocs, Total: true, Verbose: tt.verbose}, tt.in...); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != string(want) {
				t.Errorf("output differs from %s (rerun with -update if intended):\n%s", golden, buf.String())
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
