package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
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
			p, err := New(f, testTool())
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := p.Print(&buf, results); err != nil {
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
	if err := (JSON{}).Print(&buf, loadResults(t)[:1]); err != nil {
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
	if err := (Actions{}).Print(&buf, rs); err != nil {
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
		Fix: &checks.Fix{Message: "f", Path: "c:d/a b#1%.yaml", Line: 1, EndLine: 1},
	}}}}
	var buf bytes.Buffer
	if err := (SARIF{}).Print(&buf, rs); err != nil {
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
