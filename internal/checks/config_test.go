package checks

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
		check              func(*testing.T, *Config)
	}{
		{name: "an empty file means the defaults", src: ""},
		{name: "a comment-only file means the defaults", src: "# nothing\n"},
		{
			name: "every key is read",
			src:  "service: web\nsoa_dir: soa\nreview_comments: errors\nrules:\n  makefile.cook-image: off\n  soa.jenkins-yaml: error\n",
			check: func(t *testing.T, c *Config) {
				if c.Service != "web" || c.SOADir != "soa" || c.ReviewComments != "errors" {
					t.Errorf("got %+v", c)
				}
				if c.Rules["makefile.cook-image"].Severity != SeverityOff || c.Rules["soa.jenkins-yaml"] != (RuleSetting{SeverityError, 6}) {
					t.Errorf("rules = %+v", c.Rules)
				}
			},
		},
		{name: "an unknown key is named with its line", src: "service: web\nsoa-dir: x\n", wantErr: `.contractbot.yaml:2: unknown key "soa-dir"`},
		{name: "a bad severity is named with its line", src: "rules:\n  x.y: fatal\n", wantErr: `:2: rule x.y: want error, warning, notice or off, found "fatal"`},
		{name: "a list instead of a mapping is refused", src: "- a\n", wantErr: ":1: the file must be a mapping"},
		{name: "a number where a string belongs is refused", src: "service: 12\n", wantErr: ":1: service must be a string"},
		{name: "a duplicated key is refused", src: "service: a\nservice: b\n", wantErr: `:2: key "service" appears twice`},
		{name: "invalid YAML is one clear line", src: "service: [\n", wantErr: "invalid YAML"},
		{name: "a bad review_comments value is refused", src: "review_comments: some\n", wantErr: "want off, errors or all"},
		{name: "a bad review_event value is refused", src: "review_event: approve\n", wantErr: "want comment or request_changes"},
		{name: "a fix_pull_requests that is not a boolean is refused", src: "fix_pull_requests: yes please\n", wantErr: `:1: fix_pull_requests is "yes please"; want true or false`},
		{
			name:  "a repository can turn fix pull requests on",
			src:   "fix_pull_requests: true\n",
			check: func(t *testing.T, c *Config) { assertEqual(t, c.FixPullRequests != nil && *c.FixPullRequests, true) },
		},
		{
			name:  "a repository can turn fix pull requests off",
			src:   "fix_pull_requests: false\n",
			check: func(t *testing.T, c *Config) { assertEqual(t, c.FixPullRequests != nil && !*c.FixPullRequests, true) },
		},
		{
			name:  "a review can be configured to request changes",
			src:   "review_event: request_changes\n",
			check: func(t *testing.T, c *Config) { assertEqual(t, c.ReviewEvent, "request_changes") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(ConfigFile, []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error spans several lines: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func assertEqual[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestConfigInvalidReportsTheBrokenLine(t *testing.T) {
	e, err := NewEngine(All())
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{ConfigFile: {Data: []byte("service: web\nrules:\n  makefile.nope: off\n")}}
	target, err := Prepare(context.Background(), repo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.RuleID == "config.invalid" {
			if f.Line != 3 || !strings.Contains(f.Message, `unknown rule "makefile.nope"`) {
				t.Errorf("finding = %s", f)
			}
			return
		}
	}
	t.Fatalf("no config.invalid finding in %v", res.Findings)
}

// endlessFS serves a .contractbot.yaml that never ends, as a hostile
// repository's giant file would look to a reader that does not stop.
type endlessFS struct{}

func (endlessFS) Open(name string) (fs.File, error) {
	if name != ConfigFile {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return endlessFile{}, nil
}

type endlessFile struct{}

func (endlessFile) Stat() (fs.FileInfo, error) { return nil, errors.New("no stat") }
func (endlessFile) Close() error               { return nil }
func (endlessFile) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = '#'
	}
	return len(b), nil
}

func TestLoadConfigStopsReadingAtTheSizeLimit(t *testing.T) {
	cfg, err := LoadConfig(endlessFS{})
	if err != nil || cfg.Problem == nil || !strings.Contains(cfg.Problem.Error(), "larger than") {
		t.Fatalf("LoadConfig = %+v, %v; want the size limit as its problem", cfg, err)
	}
}

func TestLoadConfigWithoutAFileMeansTheDefaults(t *testing.T) {
	cfg, err := LoadConfig(fstest.MapFS{})
	if err != nil || cfg == nil || cfg.Service != "" || cfg.Rules != nil {
		t.Fatalf("LoadConfig = %+v, %v; want the defaults", cfg, err)
	}
}
