package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/fleet"
)

var updateReports = flag.Bool("update-reports", false, "rewrite testdata/report/*")

// reportEpoch stamps the golden reports (2026-11-25 10:00 UTC).
const reportEpoch = "1795600800"

// reportCases are the bundled examples as fleets: the example soa tree
// with the service checkouts (the one service both know has findings
// from both halves of the contract; the others are not in the soa tree),
// the checkouts alone, and the good soa tree.
var reportCases = []struct {
	name     string
	args     []string
	wantCode int
}{
	{"example", []string{"--soa-dir", "../../fixtures/yelpsoa-configs/example", "--repos", "../../fixtures/services"}, exitFindings},
	{"services", []string{"--repos", "../../fixtures/services"}, exitFindings},
	{"good", []string{"--soa-dir", "../../fixtures/yelpsoa-configs/good"}, exitOK},
}

func TestReportMatchesGoldenFilesOnTheBundledExamples(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", reportEpoch)
	ext := map[fleet.Format]string{fleet.FormatMarkdown: "md", fleet.FormatHTML: "html", fleet.FormatCSV: "csv", fleet.FormatJSON: "json"}
	for _, c := range reportCases {
		for _, f := range fleet.Formats {
			t.Run(c.name+"/"+string(f), func(t *testing.T) {
				code, out, errs := runSOACmd(t, append([]string{"report", "--format", string(f)}, c.args...)...)
				if code != c.wantCode {
					t.Fatalf("exit %d, want %d; stderr %q", code, c.wantCode, errs)
				}
				golden := filepath.Join("testdata", "report", c.name+"."+ext[f])
				if *updateReports {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if out != string(want) {
					t.Errorf("output differs from %s (rerun with -update-reports if intended):\n%s", golden, out)
				}
			})
		}
	}
}

func TestReportSaysWhatChangedSinceAPreviousView(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", reportEpoch)
	dir := t.TempDir()
	// The previous view: the good tree, all passing; now web is broken.
	_, out, _ := runSOACmd(t, "report", "--format", "json", "--soa-dir", "../../fixtures/yelpsoa-configs/good")
	prev := filepath.Join(dir, "prev.json")
	if err := os.WriteFile(prev, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, md, errs := runSOACmd(t, "report", "--previous", prev, "--soa-dir", "../../fixtures/yelpsoa-configs/good")
	if code != exitOK || !strings.Contains(md, "### Changes since 2026-11-25 10:00 UTC\n\nNothing changed.") {
		t.Errorf("unchanged: exit %d, stderr %q:\n%s", code, errs, md)
	}
	code, md, errs = runSOACmd(t, "report", "--previous", prev, "--soa-dir", "../../fixtures/yelpsoa-configs/example", "--repos", "../../fixtures/services")
	for _, want := range []string{"- Newly failing (16):", "- Gone (3): nightly, web, worker"} {
		if code != exitFindings || !strings.Contains(md, want) {
			t.Errorf("changed: exit %d, stderr %q, want %q in:\n%s", code, errs, want, md)
		}
	}
}

func TestReportListsRepositoriesThatAreNotServices(t *testing.T) {
	repos := t.TempDir()
	for _, d := range []string{"docs", ".git-cache"} {
		if err := os.MkdirAll(filepath.Join(repos, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repos, "docs", "README.md"), []byte("docs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runSOACmd(t, "report", "--format", "json", "--soa-dir", "../../fixtures/yelpsoa-configs/good", "--repos", repos)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var v fleet.View
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.NotServices) != 1 || v.NotServices[0] != "docs" || v.Totals.Services != 3 {
		t.Errorf("want docs as the one non-service and 3 services, got %+v", v)
	}
	for _, s := range v.Services {
		if s.Note != "no checkout in --repos: soa rules only" {
			t.Errorf("%s: note %q", s.Name, s.Note)
		}
	}
}

func TestReportUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"neither a soa tree nor checkouts", nil, "want --soa-dir, --repos or both"},
		{"a positional argument", []string{"--soa-dir", "x", "y"}, `unexpected argument "y"`},
		{"an unknown format", []string{"--format", "pdf"}, `unknown format "pdf"`},
		{"no jobs", []string{"--repos", ".", "--jobs", "0"}, "--jobs must be at least 1"},
		{"a missing soa tree", []string{"--soa-dir", "does-not-exist"}, "cannot open does-not-exist"},
		{"a previous view that is not one", []string{"--soa-dir", "../../fixtures/yelpsoa-configs/good", "--previous", "report.go"}, "--previous report.go: read fleet view"},
		{"schemas without a soa tree", []string{"--repos", ".", "--paasta-schemas", "."}, "--paasta-schemas needs --soa-dir"},
		{"a bad SOURCE_DATE_EPOCH", []string{"--repos", "."}, "SOURCE_DATE_EPOCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.name, "SOURCE_DATE_EPOCH") {
				t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
			}
			code, _, errs := runSOACmd(t, append([]string{"report"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, errs, tt.want)
			}
		})
	}
}

// TestReportHTMLInHeadlessChromium opens the HTML report of the bundled
// examples in Debian's chromium (installed by .ci/run): the page must
// load without a console error (a script error, a refused load under its
// Content-Security-Policy), and after its script ran the DOM must hold
// the chart and the table, marked sortable by the script; clicking
// column headings must sort the table. It also takes
// a screenshot at 1280x900, written to $CONTRACTBOT_KEEP_SCREENSHOT when
// that is set, for a person to look at.
func TestReportHTMLInHeadlessChromium(t *testing.T) {
	requireTool(t, "chromium")
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", reportEpoch)
	_, page, errs := runSOACmd(t, "report", "--format", "html", "--soa-dir", "../../fixtures/yelpsoa-configs/example", "--repos", "../../fixtures/services")
	if page == "" {
		t.Fatalf("no page; stderr %q", errs)
	}
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	chromium := func(file string, args ...string) (stdout, stderr string) {
		t.Helper()
		// A profile of its own, so that runs never share state.
		args = append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0", "--window-size=1280,900"}, args...)
		cmd := exec.Command("chromium", append(args, "file://"+file)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), errb.String()
	}

	// Chromium logs every console message of the page as
	// "INFO:CONSOLE:<line>] "<message>"", uncaught exceptions and CSP
	// violations included; the page itself logs nothing.
	consoleError := regexp.MustCompile(`Uncaught|:CONSOLE[:(]|Content Security Policy`)

	// First, that the scan sees errors at all: a page with a script
	// that throws and one that its policy refuses.
	const throws = `undefinedFunction();`
	sum := sha256.Sum256([]byte(throws))
	canary := `<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="script-src 'sha256-` + base64.StdEncoding.EncodeToString(sum[:]) + `'">` +
		`<title>canary</title><script>` + throws + `</script><script>document.title = "refused";</script>`
	canaryFile := filepath.Join(dir, "canary.html")
	if err := os.WriteFile(canaryFile, []byte(canary), 0o644); err != nil {
		t.Fatal(err)
	}
	_, log := chromium(canaryFile, "--dump-dom")
	for _, want := range []string{"Uncaught", "Content Security Policy"} {
		if !strings.Contains(log, want) || !consoleError.MatchString(log) {
			t.Fatalf("the console scan misses %q on the canary page; chromium logged:\n%s", want, log)
		}
	}

	// The report: its DOM once scripts ran, and a screenshot, in one run.
	shot := filepath.Join(dir, "report.png")
	dom, log := chromium(file, "--dump-dom", "--screenshot="+shot)
	for _, line := range strings.Split(log, "\n") {
		if consoleError.MatchString(line) {
			t.Errorf("chromium logged: %s", line)
		}
	}
	for _, want := range []string{
		`<table id="services" data-sortable="ready">`, // the script ran
		`<svg id="chart"`,
		`<g class="bar" data-rule="soa.service-dir">`,
		`<td class="name">legacy-service</td>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM after scripts lacks %s", want)
		}
	}

	// Sorting, in the browser: the same page with one more script (its
	// hash added to the policy) that clicks column headings as a person
	// would and writes down the first row after each click.
	const clicker = `var th = document.querySelectorAll("#services th");
var first = function () { return document.querySelector("#services tbody tr").cells[0].textContent; };
th[2].click(); document.body.setAttribute("data-by-errors", first());
th[0].click(); document.body.setAttribute("data-by-name", first());
th[0].click(); document.body.setAttribute("data-by-name-desc", first());`
	sum = sha256.Sum256([]byte(clicker))
	clicked := strings.Replace(page, "script-src ", "script-src &#39;sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"&#39; ", 1)
	clicked = strings.Replace(clicked, "</body>", "<script>"+clicker+"</script>\n</body>", 1)
	clickedFile := filepath.Join(dir, "clicked.html")
	if err := os.WriteFile(clickedFile, []byte(clicked), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, log = chromium(clickedFile, "--dump-dom")
	for _, line := range strings.Split(log, "\n") {
		if consoleError.MatchString(line) {
			t.Errorf("chromium logged, sorting: %s", line)
		}
	}
	// Most errors first (bad-parse and legacy-service have 4; ties keep
	// the order they had, by name), then by name, then by name reversed.
	for _, want := range []string{`data-by-errors="bad-parse"`, `data-by-name="bad-docker-tag"`, `data-by-name-desc="web-api"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("after clicking, the body lacks %s", want)
		}
	}

	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Errorf("the screenshot is not a plausible PNG (%d bytes)", len(png))
	}
	if keep := os.Getenv("CONTRACTBOT_KEEP_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
