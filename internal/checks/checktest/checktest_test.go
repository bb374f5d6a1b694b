package checktest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

func TestParseMarker(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // "path:line severity re"
		err        string
	}{
		{"a line without a marker expects nothing", "cpus: 1 # a comment", nil, ""},
		{"a marker expects a finding on its own line", `cpus: x # want "must be a number"`, []string{"f.yaml:7  must be a number"}, ""},
		{"a marker may hold several regexps, in either quoting", "x # want \"one\" `t(w)o`", []string{"f.yaml:7  one", "f.yaml:7  t(w)o"}, ""},
		{"an offset moves the expectation to another line", `# want+2 "below"`, []string{"f.yaml:9  below"}, ""},
		{"a negative offset moves it up", `# want-1 "above"`, []string{"f.yaml:6  above"}, ""},
		{"a severity word constrains the severity", `- step: prod # want warning "unused"`, []string{"f.yaml:7 warning unused"}, ""},
		{"an @position names a file that may not exist", `# want @soa/svc/deploy.yaml:1 "no deploy.yaml"`, []string{"soa/svc/deploy.yaml:1  no deploy.yaml"}, ""},
		{"a marker without a quoted regexp is an error", `# want missing quotes`, nil, "want expects quoted regexps"},
		{"a marker with a bad regexp is an error", `# want "("`, nil, "missing closing )"},
		{"an offset and a position together are an error", `# want+1 @a:1 "x"`, nil, "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := parseMarker("f.yaml", 7, tc.text)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				got = append(got, fmt.Sprintf("%s:%d %s %s", w.path, w.line, w.severity, w.re))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMatchReportsUnexpectedFindingsAndUnmatchedExpectations(t *testing.T) {
	mk := func(text string) []*want {
		ws, err := parseMarker("soa/svc/a.yaml", 2, text)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	finding := func(line int, sev checks.Severity, msg string) located {
		return located{Finding: checks.Finding{Path: "svc/a.yaml", Line: line, Severity: sev, Message: msg}, paths: []string{"soa/svc/a.yaml"}}
	}
	tests := []struct {
		name  string
		got   []located
		wants []*want
		want  []string // substrings of the problems, in order
	}{
		{"a finding its marker matches is no problem", []located{finding(2, checks.SeverityError, "cpus must be a number")}, mk(`# want "must be a number"`), nil},
		{"a finding without a marker is unexpected", []located{finding(2, checks.SeverityError, "surprise")}, nil, []string{"unexpected finding soa/svc/a.yaml:2: error: surprise"}},
		{"a marker without a finding is unmatched", nil, mk(`# want "never"`), []string{`soa/svc/a.yaml:2: no finding at soa/svc/a.yaml:2 matching "never"`}},
		{"a finding on another line does not match", []located{finding(3, checks.SeverityError, "x")}, mk(`# want "x"`), []string{"unexpected finding soa/svc/a.yaml:3", "no finding at soa/svc/a.yaml:2"}},
		{"a finding of another severity does not match", []located{finding(2, checks.SeverityError, "x")}, mk(`# want warning "x"`), []string{"unexpected finding", "no warning finding"}},
		{"one regexp matches one finding only", []located{finding(2, checks.SeverityError, "x"), finding(2, checks.SeverityError, "x")}, mk(`# want "x"`), []string{"unexpected finding"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := match(t.TempDir(), tc.got, tc.wants)
			if len(problems) != len(tc.want) {
				t.Fatalf("problems %q, want %d", problems, len(tc.want))
			}
			for i, p := range problems {
				if !strings.Contains(p, tc.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, p, tc.want[i])
				}
			}
		})
	}
}

func TestAFindingMustPointAtALineItsFileHasOrAtTheFileAsAWhole(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"empty": "", "two": "a\nb\n", "unterminated": "a\nb"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		path string
		line int
		want string // a substring of the problem, "" for none
	}{
		{"line 1 of an empty file is its file-level position", "empty", 1, ""},
		{"line 2 of an empty file is past its end", "empty", 2, "past the end of the file (0 lines)"},
		{"the last line of a file exists", "two", 2, ""},
		{"the line after a final newline does not", "two", 3, "past the end of the file (2 lines)"},
		{"a last line without a newline exists", "unterminated", 2, ""},
		{"line 1 of a missing file is its file-level position", "missing", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := located{Finding: checks.Finding{Path: tc.path, Line: tc.line, Message: "m"}, paths: []string{tc.path}}
			got := positionProblem(dir, f)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("positionProblem = %q, want %q", got, tc.want)
			}
		})
	}
}
