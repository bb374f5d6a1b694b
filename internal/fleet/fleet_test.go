package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
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

func loadPrevious(t *testing.T) *View {
	t.Helper()
	f, err := os.Open("testdata/in-previous.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fixedClock() time.Time { return time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC) }

func testRules() []*checks.Rule {
	run := func(context.Context, *checks.Pass) error { return nil }
	return []*checks.Rule{
		{ID: "makefile.docker-tag", Severity: checks.SeverityError, Needs: checks.NeedsRepo, Title: "DOCKER_TAG must be overridable", Doc: "doc", Run: run},
		{ID: "soa.deploy-group", Severity: checks.SeverityError, Needs: checks.NeedsService, Title: "deploy groups must match", Doc: "doc", Run: run},
	}
}

// testView collects the shared input with links, a note, a repository
// that is not a service and the previous view.
func testView(t *testing.T, o Options) (*Collector, *View) {
	t.Helper()
	c := NewCollector(o)
	links := map[string]Meta{
		"web-api":             {Link: "https://github.example/acme/web-api/runs/1"},
		"batch_<b>worker</b>": {Link: "javascript:alert(1)", Note: "soa only: no checkout"},
	}
	for _, r := range loadResults(t) {
		if err := c.Add(r, links[r.Service]); err != nil {
			t.Fatal(err)
		}
	}
	c.NotAService("docs")
	return c, c.View()
}

func TestRenderersMatchGoldenFiles(t *testing.T) {
	ext := map[Format]string{FormatMarkdown: "md", FormatHTML: "html", FormatCSV: "csv", FormatJSON: "json"}
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			c, _ := testView(t, Options{Format: f, W: &buf, Rules: testRules(), Previous: loadPrevious(t), Now: fixedClock})
			if err := c.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden."+ext[f])
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

func TestCollectorCountsByRuleAndSeverity(t *testing.T) {
	_, v := testView(t, Options{Rules: testRules()})
	want := Totals{Services: 5, Failing: 2, Warned: 1, Counts: Counts{Errors: 4, Warnings: 2, Notices: 1}}
	if v.Totals != want {
		t.Errorf("totals %+v, want %+v", v.Totals, want)
	}
	var order []string
	for _, r := range v.Rules {
		order = append(order, fmt.Sprintf("%s %d/%d/%d in %d", r.Rule, r.Errors, r.Warnings, r.Notices, r.Services))
	}
	wantOrder := []string{
		"soa.deploy-group 2/0/0 in 2",
		"makefile.docker-tag 1/0/0 in 1",
		"makefile.tabs 1/0/0 in 1",
		"makefile.cook-image 0/2/0 in 2",
		"soa.monitoring 0/0/1 in 1",
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(wantOrder, "\n"))
	}
	if v.Rules[0].Title != "deploy groups must match" || v.Rules[2].Title != "" {
		t.Errorf("titles come from Options.Rules: %+v", v.Rules)
	}
	if !slices.Equal(v.NotServices, []string{"docs"}) {
		t.Errorf("not services: %v", v.NotServices)
	}
	web := v.Services[slices.IndexFunc(v.Services, func(s Service) bool { return s.Name == "web-api" })]
	var top []string
	for _, f := range web.Top {
		top = append(top, f.Rule)
	}
	// The three errors, in the result's order, before the warning and the notice.
	if want := []string{"makefile.docker-tag", "soa.deploy-group", "makefile.tabs"}; !slices.Equal(top, want) {
		t.Errorf("top findings %v, want %v", top, want)
	}
}

func TestCollector(t *testing.T) {
	failing := &checks.Result{Service: "a", Findings: []checks.Finding{{RuleID: "makefile.test", Severity: checks.SeverityError, Path: "Makefile", Line: 1, EndLine: 1, Message: "m"}}}
	fixed := &checks.Result{Service: "a", OK: true, Findings: []checks.Finding{}}
	lying := &checks.Result{Service: "b", OK: true, Findings: failing.Findings}
	tests := []struct {
		name    string
		results []*checks.Result
		notSvc  []string
		wantErr string
		want    Totals
		wantNot []string
	}{
		{name: "a later result for a service replaces the earlier one", results: []*checks.Result{failing, fixed}, want: Totals{Services: 1}},
		{name: "a result that says ok but holds an error counts as failing", results: []*checks.Result{lying}, want: Totals{Services: 1, Failing: 1, Counts: Counts{Errors: 1}}},
		{name: "a result without a service name is refused", results: []*checks.Result{{OK: true}}, wantErr: "without a service name"},
		{name: "a nil result is refused", results: []*checks.Result{nil}, wantErr: "nil result"},
		{name: "a checked service is not listed as not a service", results: []*checks.Result{fixed}, notSvc: []string{"a", "lib"}, want: Totals{Services: 1}, wantNot: []string{"lib"}},
		{name: "an empty fleet has zero totals", want: Totals{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCollector(Options{})
			for _, n := range tt.notSvc {
				c.NotAService(n)
			}
			var err error
			for _, r := range tt.results {
				if err = c.Post(context.Background(), r); err != nil {
					break
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := c.View()
			if v.Totals != tt.want {
				t.Errorf("totals %+v, want %+v", v.Totals, tt.want)
			}
			if !slices.Equal(v.NotServices, tt.wantNot) {
				t.Errorf("not services %v, want %v", v.NotServices, tt.wantNot)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	svc := func(name string, ok bool) Service {
		s := Service{Name: name, OK: ok}
		if !ok {
			s.Errors = 1
			s.Rules = map[string]Counts{"makefile.test": {Errors: 1}}
		}
		return s
	}
	tests := []struct {
		name       string
		prev, cur  []Service
		want       Changes
		wantEmpty  bool
		wantString string
	}{
		{name: "the same services in the same state change nothing", prev: []Service{svc("a", true), svc("b", false)}, cur: []Service{svc("a", true), svc("b", false)}, wantEmpty: true},
		{name: "a passing service that fails is newly failing", prev: []Service{svc("a", true)}, cur: []Service{svc("a", false)},
			want: Changes{NewlyFailing: []string{"a"}, Rules: []RuleChange{{Rule: "makefile.test", Before: 0, After: 1}}}},
		{name: "a failing service that passes is fixed", prev: []Service{svc("a", false)}, cur: []Service{svc("a", true)},
			want: Changes{Fixed: []string{"a"}, Rules: []RuleChange{{Rule: "makefile.test", Before: 1, After: 0}}}},
		{name: "a new failing service is added and newly failing", prev: nil, cur: []Service{svc("z", false), svc("a", true)},
			want: Changes{NewlyFailing: []string{"z"}, Added: []string{"a", "z"}, Rules: []RuleChange{{Rule: "makefile.test", Before: 0, After: 1}}}},
		{name: "a service that left the view is removed, not fixed", prev: []Service{svc("a", false)}, cur: nil,
			want: Changes{Removed: []string{"a"}, Rules: []RuleChange{{Rule: "makefile.test", Before: 1, After: 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since := fixedClock().Add(-24 * time.Hour)
			prev := Build(tt.prev, nil, Options{Now: func() time.Time { return since }})
			cur := Build(tt.cur, nil, Options{Previous: prev})
			ch := cur.Changes
			if ch.Empty() != tt.wantEmpty {
				t.Fatalf("Empty() = %v, want %v: %+v", ch.Empty(), tt.wantEmpty, ch)
			}
			if !ch.Since.Equal(since) {
				t.Errorf("since %v, want %v", ch.Since, since)
			}
			if tt.wantEmpty {
				return
			}
			tt.want.Since = ch.Since
			got, _ := json.Marshal(ch)
			want, _ := json.Marshal(tt.want)
			if string(got) != string(want) {
				t.Errorf("changes\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestJSONViewRoundTrips(t *testing.T) {
	_, v := testView(t, Options{Rules: testRules(), Previous: loadPrevious(t), Now: fixedClock})
	var buf bytes.Buffer
	if err := Render(&buf, FormatJSON, v, Options{}); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(v)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Errorf("the view changed through JSON:\n%s\n%s", a, b)
	}
	if _, err := Decode(strings.NewReader("{not json")); err == nil || !strings.Contains(err.Error(), "read fleet view") {
		t.Errorf("bad JSON: %v", err)
	}
}

// bigFleet makes n services, a third failing with long messages and
// links, a third with warnings only, the rest clean.
func bigFleet(t testing.TB, n int) *View {
	t.Helper()
	c := NewCollector(Options{})
	long := strings.Repeat("a long message about a broken contract, ", 30)
	for i := range n {
		r := &checks.Result{Service: fmt.Sprintf("service-with-a-longish-name-%05d", i), OK: true}
		switch i % 3 {
		case 0:
			for j := range 6 {
				r.Findings = append(r.Findings, checks.Finding{RuleID: fmt.Sprintf("soa.rule-%02d", (i+j)%40), Severity: checks.SeverityError, Path: "svc/kubernetes-norcal-prod.yaml", Line: j + 1, EndLine: j + 1, Message: long})
			}
			r.OK = false
		case 1:
			r.Findings = []checks.Finding{{RuleID: "makefile.cook-image", Severity: checks.SeverityWarning, Path: "Makefile", Line: 1, EndLine: 1, Message: "no cook-image"}}
		}
		if err := c.Add(r, Meta{Link: fmt.Sprintf("https://github.example/acme/%s/runs/%d", r.Service, 1000000+i)}); err != nil {
			t.Fatal(err)
		}
	}
	prev := Build(nil, nil, Options{})
	return Build(c.View().Services, []string{"docs", "website"}, Options{Previous: prev, Now: fixedClock})
}

func TestMarkdownFitsAnIssueBodyWith5000Services(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"without a full report it names the command", "", "`contractbot report --format html` lists every service"},
		{"with a full report it links it", "https://ci.example/fleet.html", "[The full report](https://ci.example/fleet.html)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := bigFleet(t, 5000)
			md := Markdown(v, Options{FullReportURL: tt.url})
			if len(md) > MaxIssueBodyChars {
				t.Fatalf("%d bytes, over the %d limit", len(md), MaxIssueBodyChars)
			}
			if n := utf8.RuneCountInString(md); n > MaxIssueBodyChars {
				t.Fatalf("%d characters, over the %d limit", n, MaxIssueBodyChars)
			}
			if !strings.Contains(md, tt.want) {
				t.Errorf("no pointer to the rest (%q)", tt.want)
			}
			// Every failing service is detailed, named or counted: none
			// is silently dropped.
			detailed := strings.Count(md, "\n- **[service")
			m := regexp.MustCompile(`\*\*Not listed: (\d+) failing services`).FindStringSubmatch(md)
			if m == nil {
				t.Fatalf("no count of the failing services left out:\n%s", md[len(md)-2000:])
			}
			named := 0
			if _, also, ok := strings.Cut(md, "\nAlso failing: "); ok {
				line, _, _ := strings.Cut(also, "\n")
				named = strings.Count(line, "](https://")
			}
			var left int
			fmt.Sscan(m[1], &left)
			if got := detailed + named + left; got != v.Totals.Failing {
				t.Errorf("%d detailed + %d named + %d counted = %d, want %d failing", detailed, named, left, got, v.Totals.Failing)
			}
			if detailed == 0 || named == 0 {
				t.Errorf("%d detailed, %d named: want some of each", detailed, named)
			}
			for _, want := range []string{"**1667 of 5000 services break the PaaSTA contract.**", "### Findings by rule", "### Changes since the previous view", "and 1637 more"} {
				if !strings.Contains(md, want) {
					t.Errorf("missing %q", want)
				}
			}
		})
	}
}

func TestMarkdownListsEverythingWhenItFits(t *testing.T) {
	v := bigFleet(t, 30)
	md := Markdown(v, Options{})
	if strings.Contains(md, "Not listed") || strings.Contains(md, "Also failing") {
		t.Errorf("a small fleet is listed in full:\n%s", md)
	}
	if got := strings.Count(md, "\n- **[service"); got != v.Totals.Failing {
		t.Errorf("%d failing services detailed, want %d", got, v.Totals.Failing)
	}
}

func TestMarkdownEscapesRepositoryText(t *testing.T) {
	_, v := testView(t, Options{})
	md := Markdown(v, Options{})
	for _, bad := range []string{"<script>", "<b>", "](javascript:", "\x1b", "\u202e", "| cell |", "\n# heading"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown holds %q", bad)
		}
	}
	if !strings.Contains(md, `\<script\>`) || !strings.Contains(md, `\x1b`) {
		t.Errorf("escaped text missing:\n%s", md)
	}
}

func TestHTMLEscapesRepositoryTextAndAllowsOnlyItsOwnCode(t *testing.T) {
	_, v := testView(t, Options{})
	var buf bytes.Buffer
	if err := HTML(&buf, v, Options{}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script>alert", "<b>worker", `href="javascript:`, "\x1b", "\u202e"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	// The CSP names the hashes of the page's one style and one script,
	// as they are in the page.
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	between := func(open, close string) []string {
		var out []string
		rest := page
		for {
			_, after, ok := strings.Cut(rest, open)
			if !ok {
				return out
			}
			body, tail, _ := strings.Cut(after, close)
			out = append(out, body)
			rest = tail
		}
	}
	scripts, styles := between("<script>", "</script>"), between("<style>", "</style>")
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d scripts and %d styles, want one of each", len(scripts), len(styles))
	}
	csp := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]+)"`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy")
	}
	policy := html.UnescapeString(csp[1])
	for _, want := range []string{"default-src 'none'", "script-src " + hash(scripts[0]), "style-src " + hash(styles[0])} {
		if !strings.Contains(policy, want) {
			t.Errorf("policy %q lacks %q", policy, want)
		}
	}
	for _, external := range []string{"<link", "src=", "@import", "url("} {
		if strings.Contains(page, external) {
			t.Errorf("page loads something: %q", external)
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	_, v := testView(t, Options{})
	var buf bytes.Buffer
	if err := CSV(&buf, v); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(v.Services) {
		t.Fatalf("%d rows for %d services", len(rows), len(v.Services))
	}
	for _, row := range rows[1:] {
		if strings.ContainsRune("=+-@", rune(row[0][0])) {
			t.Errorf("cell %q would be a formula", row[0])
		}
	}
	if rows[1][0] != "'=cmd|'/c calc'!A1" {
		t.Errorf("first row %q", rows[1])
	}
}

func TestFormatIsAFlagValue(t *testing.T) {
	var f Format
	if err := f.Set("html"); err != nil || f != FormatHTML {
		t.Errorf("Set(html) = %v, %q", err, f)
	}
	if err := f.Set("pdf"); err == nil || !strings.Contains(err.Error(), "markdown, html, csv, json") {
		t.Errorf("Set(pdf) = %v", err)
	}
}

var _ report.Sink = (*Collector)(nil)
