// Package report is the sink layer: it renders check results for people
// and machines (terminal text, JSON, SARIF 2.1.0, GitHub Actions workflow
// commands) behind one [Sink] interface that the GitHub sinks (check runs,
// review comments) and the hook's message implement too, with one severity
// table ([LevelOf]), one count phrase ([Counts]) and one text escape
// ([Escape]) for all of them.
//
// Every local format is tested against the same input,
// testdata/in-results.json, with one golden output per format.
package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// Format names an output format. It implements [flag.Value].
type Format string

// The formats `contractbot check --format` accepts.
const (
	FormatText   Format = "text"
	FormatJSON   Format = "json"
	FormatSARIF  Format = "sarif"
	FormatGitHub Format = "github"
)

// Formats lists the formats in the order help text shows them.
var Formats = []Format{FormatText, FormatJSON, FormatSARIF, FormatGitHub}

func (f *Format) String() string { return string(*f) }

// Set implements [flag.Value].
func (f *Format) Set(s string) error { return SetChoice(f, s, Formats, "format") }

// SetChoice sets *p to the choice named s, or says which names there are:
// the Set of a flag.Value that is one of a few names.
func SetChoice[T ~string](p *T, s string, choices []T, what string) error {
	names := make([]string, len(choices))
	for i, k := range choices {
		if s == string(k) {
			*p = k
			return nil
		}
		names[i] = string(k)
	}
	return fmt.Errorf("unknown %s %q (want %s)", what, s, strings.Join(names, ", "))
}

// Sink takes the results of a run and writes or publishes them: one Post
// per checked target (a service, a push), in the order they were checked.
// Every face's output goes through one: the CLI's formats, the hook's
// message, the App's check runs and reviews. Sinks never change findings;
// they only render them.
type Sink interface {
	Post(ctx context.Context, r *checks.Result) error
}

// Flusher is a Sink that writes only once it has every result: one JSON
// document, one SARIF log. [Publish] calls Flush after the last Post.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Publish posts each result to s, then flushes it when it is a [Flusher].
func Publish(ctx context.Context, s Sink, results ...*checks.Result) error {
	for _, r := range results {
		if err := s.Post(ctx, r); err != nil {
			return err
		}
	}
	if f, ok := s.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Multi sends every result to each of sinks, in order, and flushes those
// that flush.
func Multi(sinks ...Sink) Sink { return multi(sinks) }

type multi []Sink

var (
	_ Sink    = multi(nil)
	_ Flusher = multi(nil)
)

func (m multi) Post(ctx context.Context, r *checks.Result) error {
	for _, s := range m {
		if err := s.Post(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (m multi) Flush(ctx context.Context) error {
	for _, s := range m {
		if f, ok := s.(Flusher); ok {
			if err := f.Flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// Tool describes contractbot for formats that name the producing tool or
// link to its documentation.
type Tool struct {
	Version string
	Rules   []*checks.Rule
	// Docs is the base of the text format's rule links; "" is
	// [DefaultDocs]. (SARIF's helpUri is always [checks.RuleURL].)
	Docs string
}

// New returns the sink that writes format f to w.
func New(f Format, w io.Writer, tool Tool) (Sink, error) {
	switch f {
	case FormatText, "":
		return &Text{W: w, Docs: cmp.Or(tool.Docs, DefaultDocs)}, nil
	case FormatJSON:
		return &JSON{W: w}, nil
	case FormatSARIF:
		return &SARIF{W: w, Tool: tool}, nil
	case FormatGitHub:
		return &Actions{W: w}, nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// Counts says how many errors, warnings and notices there are, in words:
// "2 errors, 1 warning" ("1,200 errors"), or "" when there are none. Every sink that counts
// uses it (the text verdict, check-run titles, the hook's summary).
func Counts(errors, warnings, notices int) string {
	var parts []string
	for _, c := range []struct {
		n    int
		noun string
	}{{errors, "error"}, {warnings, "warning"}, {notices, "notice"}} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.noun)
		case c.n > 1:
			parts = append(parts, thousands(c.n)+" "+c.noun+"s")
		}
	}
	return strings.Join(parts, ", ")
}

// Summary is [Counts] of fs, or "no problems".
func Summary(fs []checks.Finding) string {
	if s := Counts(checks.Count(fs)); s != "" {
		return s
	}
	return "no problems"
}
