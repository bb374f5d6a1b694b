package hook

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
)

// Width is how many columns a hook's line may use: git prefixes each line
// it relays with "remote: " (8 columns), and the pusher's terminal is
// assumed to be 80 columns wide.
const Width = 80 - len("remote: ")

// printer writes lines of at most Width bytes, remembering the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) write(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s+"\n")
	}
}

// line writes s, hard-wrapped at Width (a ref name has no spaces to break
// at).
func (p *printer) line(s string) {
	for len(s) > Width {
		p.write(s[:Width])
		s = s[Width:]
	}
	p.write(s)
}

// para writes text word-wrapped to Width, the first line indented by first
// and the others by rest; a word longer than a line is hard-wrapped.
func (p *printer) para(first, rest, text string) {
	for _, l := range Wrap(first, rest, text) {
		p.write(l)
	}
}

// Wrap word-wraps text into lines of at most Width bytes, the first
// indented by first and the others by rest; a word longer than a line is
// cut.
func Wrap(first, rest, text string) []string {
	var lines []string
	cur := first
	empty := true // cur holds only indentation
	flush := func() {
		lines = append(lines, cur)
		cur, empty = rest, true
	}
	for _, word := range strings.Fields(text) {
		for {
			sep := " "
			if empty {
				sep = ""
			}
			if len(cur)+len(sep)+len(word) <= Width {
				cur += sep + word
				empty = false
				break
			}
			if !empty {
				flush()
				continue
			}
			// The word alone does not fit: cut it.
			n := Width - len(cur)
			cur += word[:n]
			word = word[n:]
			empty = false
			flush()
		}
	}
	if !empty {
		lines = append(lines, cur)
	}
	return lines
}

// Bounds of the hook's message: a push of a thousand bad refs, or a
// repository with a thousand findings, must not bury the pusher's
// terminal (or outlast GitHub Enterprise's hook output limits). Findings
// past a bound are counted on one line; the verdict counts them all.
const (
	MaxFindingsPerRef = 20
	MaxRefsShown      = 10
)

// message is the hook's sink: one result per judged ref, printed as a
// header line ("contractbot: <ref> at <commit>") and one wrapped,
// escaped paragraph per finding.
type message struct {
	out    *printer
	shown  int // refs printed
	hidden int // refs with findings past MaxRefsShown
}

var _ report.Sink = (*message)(nil)

// Post implements [report.Sink]; r.Service names the ref (and commit).
func (m *message) Post(_ context.Context, r *checks.Result) error {
	if m.shown == MaxRefsShown {
		m.hidden++
		return nil
	}
	m.shown++
	m.out.line("contractbot: " + report.Escape(r.Service))
	for i, f := range r.Findings {
		if i == MaxFindingsPerRef {
			e, w, n := checks.Count(r.Findings[i:])
			m.out.para("  ", "    ", fmt.Sprintf("... and %s more for this ref (the verdict counts them).", report.Counts(e, w, n)))
			break
		}
		text := f.Severity.String() + " " + f.RuleID + ": "
		if f.Path != "" {
			text += fmt.Sprintf("%s:%d: ", f.Path, f.Line)
		}
		m.out.para("  ", "    ", report.Escape(text+f.Message))
	}
	return m.out.err
}

// finish says how many refs were not shown.
func (m *message) finish() {
	if m.hidden > 0 {
		m.out.para("", "  ", fmt.Sprintf("contractbot: %d more refs have problems; they are not shown.", m.hidden))
	}
}
