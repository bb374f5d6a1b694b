package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/contractbot/contractbot/internal/checks"
)

// MaxRounds bounds how often [Run] checks and fixes again. A fix can make
// another one possible (a cook-image target lets itest depend on it), so
// fixing repeats until a round changes nothing; fixes that keep changing
// the tree after this many rounds are a bug, reported as an error.
const MaxRounds = 8

// Options configure [Run].
type Options struct {
	// Engine checks the trees.
	Engine *checks.Engine
	// Prepare builds the target of one check over the trees as fixed so
	// far (soa is nil when there is no soa tree of its own), the way the
	// face's check command does, so that fix and check agree.
	Prepare func(ctx context.Context, repo, soa fs.FS) (checks.Target, error)
	// Rules, when not empty, limits the fixes applied to the findings of
	// these rules; every rule is still checked.
	Rules []string
}

// Applied is a fix that was applied, with the finding it resolves (at its
// position in the round that fixed it).
type Applied struct {
	Finding checks.Finding
	Fix     checks.SuggestedFix
	// SOA: the fix's paths are relative to the soa tree.
	SOA bool
}

// Skipped is a finding whose fix could not be applied, and why (a
// *[ConflictError], an *[EditError], [ErrNotText], [ErrSymlink], ...).
type Skipped struct {
	Finding checks.Finding
	Err     error
}

// Outcome is what [Run] did.
type Outcome struct {
	Applied []Applied
	// Skipped are the findings that are still there after fixing and
	// whose fix could not be applied.
	Skipped []Skipped
	// Repo and SOA are the files to write, relative to each tree's root.
	Repo, SOA []Change
	// Result is the check of the fixed trees: what is left.
	Result *checks.Result
}

// Changed reports whether the fixes change any file.
func (o *Outcome) Changed() bool { return len(o.Repo)+len(o.SOA) > 0 }

// Run applies the preferred fix of every finding in repo (and soa, a soa
// tree of its own, or nil), in memory: it checks, applies every fix that
// does not conflict with another in one pass, and checks again, until a
// round has nothing left to apply. Nothing is written; the outcome lists
// the changes, for [Write] or a diff. The error is for a check that
// failed, or fixes that do not settle (see [MaxRounds]).
func Run(ctx context.Context, o Options, repo, soa fs.FS) (*Outcome, error) {
	if o.Engine == nil || o.Prepare == nil {
		return nil, errors.New("fix: Options.Engine and Options.Prepare are required")
	}
	repoOv := NewOverlay(repo)
	var soaOv *Overlay
	var soaFS fs.FS
	if soa != nil {
		soaOv = NewOverlay(soa)
		soaFS = soaOv
	}
	out := &Outcome{}
	var skipped []Skipped
	for round := 1; ; round++ {
		t, err := o.Prepare(ctx, repoOv, soaFS)
		if err != nil {
			return nil, err
		}
		res, err := o.Engine.Run(ctx, t)
		if err != nil {
			return nil, err
		}
		out.Result = res
		repoSet, soaSet := NewSet(repoOv), (*Set)(nil)
		if soaOv != nil {
			soaSet = NewSet(soaOv)
		}
		var applied []Applied
		for _, f := range res.Findings {
			fix, ok := f.Fix()
			if !ok || (len(o.Rules) > 0 && !slices.Contains(o.Rules, f.RuleID)) {
				continue
			}
			set, inSOA := repoSet, t.FindingsInSOA(o.Engine.Rule(f.RuleID))
			if inSOA {
				set = soaSet
			}
			if set == nil {
				continue
			}
			if err := set.Add(fix); err != nil {
				skipped = append(skipped, Skipped{Finding: f, Err: err})
				continue
			}
			applied = append(applied, Applied{Finding: f, Fix: fix, SOA: inSOA})
		}
		changes := repoSet.Changes()
		var soaChanges []Change
		if soaSet != nil {
			soaChanges = soaSet.Changes()
		}
		if len(changes)+len(soaChanges) == 0 {
			break
		}
		if round == MaxRounds {
			return nil, fmt.Errorf("fix: the fixes still change files after %d rounds (a fix does not resolve its finding): %s", MaxRounds, applied[0].Finding)
		}
		out.Applied = append(out.Applied, applied...)
		for _, c := range changes {
			repoOv.Set(c.Path, c.New)
		}
		for _, c := range soaChanges {
			soaOv.Set(c.Path, c.New)
		}
	}
	out.Skipped = stillThere(skipped, out.Result.Findings)
	var err error
	if out.Repo, err = overlayChanges(repoOv, repo); err != nil {
		return nil, err
	}
	if soaOv != nil {
		if out.SOA, err = overlayChanges(soaOv, soa); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// stillThere keeps the skipped fixes whose finding is still reported (a
// later round may have fixed it), once each.
func stillThere(skipped []Skipped, left []checks.Finding) []Skipped {
	type key struct{ rule, path, msg string }
	there := map[key]bool{}
	for _, f := range left {
		there[key{f.RuleID, f.Path, f.Message}] = true
	}
	var out []Skipped
	for i := len(skipped) - 1; i >= 0; i-- { // the latest reason wins
		s := skipped[i]
		k := key{s.Finding.RuleID, s.Finding.Path, s.Finding.Message}
		if there[k] {
			out = append(out, s)
			delete(there, k)
		}
	}
	slices.Reverse(out)
	return out
}

// overlayChanges compares the overlay's files with base.
func overlayChanges(ov *Overlay, base fs.FS) ([]Change, error) {
	var out []Change
	for _, n := range ov.Files() {
		data, _ := ov.Data(n)
		old, err := fs.ReadFile(base, n)
		created := errors.Is(err, fs.ErrNotExist)
		if err != nil && !created {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		if !created && bytes.Equal(old, data) {
			continue
		}
		out = append(out, Change{Path: n, Old: old, New: data, Created: created})
	}
	return out, nil
}
