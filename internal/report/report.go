// Package report renders check results for people and machines: terminal
// text, JSON, SARIF 2.1.0 and GitHub Actions workflow commands.
//
// Printers never change findings; they only render them. Every printer is
// tested against the same input, testdata/in-results.json, with one golden
// output per format.
package report

import (
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
func (f *Format) Set(s string) error {
	for _, k := range Formats {
		if s == string(k) {
			*f = k
			return nil
		}
	}
	names := make([]string, len(Formats))
	for i, k := range Formats {
		names[i] = string(k)
	}
	return fmt.Errorf("unknown format %q (want %s)", s, strings.Join(names, ", "))
}

// Printer writes results in one format.
type Printer interface {
	// Print writes all results as one document. Several results come from
	// one invocation that checked several services.
	Print(w io.Writer, results []*checks.Result) error
}

// Tool describes contractbot for formats that name the producing tool.
type Tool struct {
	Version string
	Rules   []*checks.Rule
}

// New returns the printer for f.
func New(f Format, tool Tool) (Printer, error) {
	switch f {
	case FormatText, "":
		return Text{}, nil
	case FormatJSON:
		return JSON{}, nil
	case FormatSARIF:
		return SARIF{Tool: tool}, nil
	case FormatGitHub:
		return Actions{}, nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// Summary says how many errors, warnings and notices there are, in words:
// "2 errors, 1 warning" or "no problems".
func Summary(fs []checks.Finding) string {
	e, w, n := checks.Count(fs)
	var parts []string
	for _, c := range []struct {
		n    int
		noun string
	}{{e, "error"}, {w, "warning"}, {n, "notice"}} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.noun)
		case c.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", c.n, c.noun))
		}
	}
	if len(parts) == 0 {
		return "no problems"
	}
	return strings.Join(parts, ", ")
}
