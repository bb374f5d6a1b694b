package checks

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// markerRule reports a finding at every line of file (in the repository, or
// in the soa tree for a soa rule) that contains marker.
func markerRule(id string, needs Needs, file, marker string) *Rule {
	return &Rule{ID: id, Severity: SeverityError, Needs: needs, Title: "marker rule", Doc: strings.Repeat("doc ", 20),
		Run: func(ctx context.Context, p *Pass) error {
			fsys := p.Repo
			if needs&NeedsService != 0 {
				fsys = p.SOA
			}
			if file == MakefilePath {
				// As the makefile rules do: the analysis is what tells the
				// engine which Makefile the run read.
				if _, err := analyzeMakefile(ctx, p); err != nil {
					return err
				}
			}
			data, err := fs.ReadFile(fsys, file)
			if err != nil {
				return nil
			}
			for i, l := range strings.Split(string(data), "\n") {
				if strings.Contains(l, marker) {
					p.Reportf(file, i+1, "%s found", marker)
				}
			}
			return nil
		}}
}

func TestSuppressions(t *testing.T) {
	rules := []*Rule{
		markerRule("t.make", NeedsRepo, "Makefile", "BAD"),
		markerRule("t.other", NeedsRepo, "Makefile", "OTHER"),
		markerRule("t.docker", NeedsRepo, "Dockerfile", "BAD"),
		markerRule("t.soa", NeedsService, "web/deploy.yaml", "BAD"),
		unusedIgnoreRule(),
	}
	e, err := NewEngine(rules)
	if err != nil {
		t.Fatal(err)
	}
	files := func(kv ...string) fstest.MapFS {
		m := fstest.MapFS{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
		}
		return m
	}
	for _, tt := range []struct {
		name      string
		repo, soa fstest.MapFS
		soaPrefix string
		config    string
		// want lists the findings left, as "rule path:line", and the
		// notices, as "config.unused-ignore path:line:col: message part".
		want []string
	}{
		{
			name: "a directive after the code covers its own line",
			repo: files("Makefile", "x = BAD # contractbot:ignore t.make -- pinned on purpose\ny = BAD\n"),
			want: []string{"t.make Makefile:2"},
		},
		{
			name: "a directive alone on its line covers the next line",
			repo: files("Makefile", "# contractbot:ignore t.make -- pinned on purpose\nx = BAD\ny = BAD\n"),
			want: []string{"t.make Makefile:3"},
		},
		{
			name: "a directive names several rules, with or without blanks",
			repo: files("Makefile", "x = BAD OTHER # contractbot:ignore t.make, t.other -- both known\n"),
			want: nil,
		},
		{
			name: "a directive covers only the rules it names",
			repo: files("Makefile", "x = BAD OTHER # contractbot:ignore t.make -- known\n"),
			want: []string{"t.other Makefile:1"},
		},
		{
			name: "ignore-file covers every finding of its rule in the file and nothing else",
			repo: files("Makefile", "x = BAD\n# contractbot:ignore-file t.make -- generated, see TICKET-1\ny = BAD OTHER\n"),
			want: []string{"t.other Makefile:3"},
		},
		{
			name: "a directive without a reason suppresses nothing and is a notice",
			repo: files("Makefile", "x = BAD # contractbot:ignore t.make\ny = BAD # contractbot:ignore t.make --  \n"),
			want: []string{"t.make Makefile:1", "t.make Makefile:2",
				"config.unused-ignore Makefile:1:9: gives no reason", "config.unused-ignore Makefile:2:9: gives no reason"},
		},
		{
			name: "a directive naming no rule is a notice",
			repo: files("Makefile", "# contractbot:ignore -- why\n"),
			want: []string{"config.unused-ignore Makefile:1:1: names no rule"},
		},
		{
			name: "an unknown rule is a notice with the closest id",
			repo: files("Makefile", "x = BAD # contractbot:ignore t.mak -- typo\n# contractbot:ignore makefile.tab -- typo\n"),
			want: []string{"t.make Makefile:1",
				`config.unused-ignore Makefile:1:9: names no rule "t.mak": did you mean t.make?`,
				`config.unused-ignore Makefile:2:1: names no rule "makefile.tab": did you mean makefile.tabs?`},
		},
		{
			name: "a directive whose rule found nothing there is a notice",
			repo: files("Makefile", "# contractbot:ignore t.make -- was broken once\nx = fixed\n"),
			want: []string{"config.unused-ignore Makefile:1:1: contractbot:ignore t.make suppresses nothing: no t.make finding on this line or the next"},
		},
		{
			name: "a directive for a rule that did not run is left alone",
			repo: files("Makefile", "# contractbot:ignore makefile.tabs -- not in this engine\n# contractbot:ignore t.soa -- no soa tree in this run\n"),
			want: nil,
		},
		{
			name:   "a directive for a rule set off is left alone",
			repo:   files("Makefile", "# contractbot:ignore t.make -- off anyway\n", ConfigFile, "rules:\n  t.make: off\n"),
			config: "rules:\n  t.make: off\n",
			want:   nil,
		},
		{
			name:   "with config.unused-ignore off, stale directives are silent and still suppress",
			repo:   files("Makefile", "x = BAD # contractbot:ignore t.make -- known\n# contractbot:ignore t.make -- stale\n"),
			config: "rules:\n  config.unused-ignore: off\n",
			want:   nil,
		},
		{
			name: "config.unused-ignore cannot suppress itself",
			repo: files("Makefile", "# contractbot:ignore config.unused-ignore -- quiet\n"),
			want: []string{"config.unused-ignore Makefile:1:1: config.unused-ignore cannot be suppressed inline"},
		},
		{
			name: "Dockerfile comments suppress too",
			repo: files("Dockerfile", "FROM scratch\n# contractbot:ignore t.docker -- base image pinned\nRUN BAD\nRUN BAD\n"),
			want: []string{"t.docker Dockerfile:4"},
		},
		{
			name: "a Dockerfile is not read for stale directives, as no rule reads its text",
			repo: files("Dockerfile", "FROM scratch\n# contractbot:ignore t.docker -- nothing here\n"),
			want: nil,
		},
		{
			name: "YAML comments of a soa tree of its own suppress, and their notices are in that tree",
			repo: files("Makefile", "all:\n"),
			soa:  files("web/deploy.yaml", "pipeline:\n- step: BAD  # contractbot:ignore t.soa -- legacy\n- step: BAD\n# contractbot:ignore t.soa -- stale\n"),
			want: []string{"t.soa web/deploy.yaml:3 (soa)", "config.unused-ignore web/deploy.yaml:4:1 (soa): suppresses nothing"},
		},
		{
			name:      "YAML comments of a soa tree inside the repository suppress at repository paths",
			repo:      files("Makefile", "all:\n", "soa/web/deploy.yaml", "pipeline:\n# contractbot:ignore-file t.soa -- legacy\n- step: BAD\n"),
			soaPrefix: "soa",
			want:      nil,
		},
		{
			name: "a word after the marker is not a directive",
			repo: files("Makefile", "x = BAD # contractbot:ignored t.make -- no\ny = BAD # see contractbot:ignore t.make -- not a comment of its own\n"),
			want: []string{"t.make Makefile:1", "t.make Makefile:2"},
		},
		{
			name: "a directive in a file over the read bound suppresses nothing",
			repo: files("Makefile", "x = BAD # contractbot:ignore t.make -- big\n"+strings.Repeat("#\n", maxSuppressFileBytes/2)),
			want: []string{"t.make Makefile:1"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{}
			if tt.config != "" {
				var err error
				if cfg, err = ParseConfig(ConfigFile, []byte(tt.config)); err != nil {
					t.Fatal(err)
				}
			}
			target := Target{Repo: tt.repo, Service: "web", Config: cfg}
			switch {
			case tt.soaPrefix != "":
				sub, err := fs.Sub(tt.repo, tt.soaPrefix)
				if err != nil {
					t.Fatal(err)
				}
				target.SOA, target.SOAPrefix = sub, tt.soaPrefix
			case tt.soa != nil:
				target.SOA = tt.soa
			}
			res, err := e.Run(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				s := fmt.Sprintf("%s %s:%d", f.RuleID, f.Path, f.Line)
				if f.RuleID == UnusedIgnoreRule {
					s += fmt.Sprintf(":%d", f.Column)
				}
				if f.InSOA() {
					s += " (soa)"
				}
				if f.RuleID == UnusedIgnoreRule {
					if f.Severity != SeverityNotice || f.EndLine != f.Line || f.EndColumn <= f.Column {
						t.Errorf("notice %+v: want a notice over the comment", f)
					}
					s += ": " + f.Message
				}
				got = append(got, s)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, w := range tt.want {
				// A finding is matched exactly; a notice by its place and
				// a part of its message.
				head, part, _ := strings.Cut(w, ": ")
				if !slices.ContainsFunc(got, func(g string) bool {
					gh, gm, _ := strings.Cut(g, ": ")
					return g == w || (part != "" && gh == head && strings.Contains(gm, part))
				}) {
					t.Errorf("no finding %q in\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}
