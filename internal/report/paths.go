package report

import (
	"context"
	"path"
	"slices"

	"github.com/contractbot/contractbot/internal/checks"
)

// Base says where the checked trees are, as slash-separated paths relative
// to where the output's paths should be relative to (the current directory
// for a terminal, the repository's root for JSON, SARIF and workflow
// commands): Repo for the checked repository, SOA for a soa tree of its
// own ([checks.Finding.InSOA]). "" leaves the tree's paths as they are;
// "../yelpsoa-configs" is a tree beside the current directory.
type Base struct {
	Repo, SOA string
}

// Rebase returns a sink that posts each result to s with its findings'
// paths (their own, their related positions' and their edits') moved under
// b: `contractbot check services/web` reports services/web/Makefile, not
// Makefile. The engine keeps paths relative to the trees it checked, so the
// App and the hook are unaffected; this is the step between the engine and
// the CLI's sinks. Facts are passed on as they are.
func Rebase(s Sink, b Base) Sink {
	if b == (Base{}) {
		return s
	}
	return &rebased{s, b}
}

type rebased struct {
	s Sink
	b Base
}

var (
	_ Sink    = (*rebased)(nil)
	_ Flusher = (*rebased)(nil)
)

// Post implements [Sink].
func (r *rebased) Post(ctx context.Context, res *checks.Result) error {
	moved := *res
	moved.Findings = make([]checks.Finding, len(res.Findings))
	for i, f := range res.Findings {
		base := r.b.Repo
		if f.InSOA() {
			base = r.b.SOA
		}
		moved.Findings[i] = rebaseFinding(f, base)
	}
	return r.s.Post(ctx, &moved)
}

// Flush implements [Flusher].
func (r *rebased) Flush(ctx context.Context) error {
	if f, ok := r.s.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// rebaseFinding returns f with its paths under base; f itself, which other
// sinks may be rendering, is left alone.
func rebaseFinding(f checks.Finding, base string) checks.Finding {
	if base == "" {
		return f
	}
	move := func(p string) string {
		if p == "" {
			return p
		}
		return path.Join(base, p)
	}
	f.Path = move(f.Path)
	f.Related = slices.Clone(f.Related)
	for i := range f.Related {
		f.Related[i].Path = move(f.Related[i].Path)
	}
	f.SuggestedFixes = slices.Clone(f.SuggestedFixes)
	for i := range f.SuggestedFixes {
		fix := &f.SuggestedFixes[i]
		fix.Edits = slices.Clone(fix.Edits)
		for j := range fix.Edits {
			fix.Edits[j].Path = move(fix.Edits[j].Path)
		}
	}
	return f
}
