// Package diff computes and parses unified diffs of text files, line by
// line, in the form GitHub uses for a pull request file's "patch": hunks
// only ("@@ -a,b +c,d @@" headers and their lines), no file headers.
//
// Review comments may only be placed on lines of the diff's hunks (the
// RIGHT side: added and context lines); [File.RightLine] answers that
// question for a parsed patch, and [Unified] produces such a patch from two
// versions of a file (the fake GitHub uses it).
package diff

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultContext is how many unchanged lines surround each change in a
// hunk, as in git and GitHub.
const DefaultContext = 3

// MaxCells bounds the work of [Unified]: when the changed middle of two
// files (after their common prefix and suffix) has more than MaxCells
// line pairs, the middle is reported as replaced wholesale instead of being
// diffed, so that two hostile files cannot exhaust CPU or memory.
const MaxCells = 4 << 20

// Kind is the kind of a diff line.
type Kind byte

// Line kinds, as their first character in a unified diff.
const (
	Context Kind = ' '
	Added   Kind = '+'
	Deleted Kind = '-'
)

// Line is one line of a hunk. OldLine is 0 for an added line and NewLine is
// 0 for a deleted one; both are 1-based.
type Line struct {
	Kind    Kind
	OldLine int
	NewLine int
	Text    string
}

// Hunk is one "@@" section of a unified diff.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Lines              []Line
}

// File is the parsed patch of one file.
type File struct {
	Hunks []Hunk
}

// RightLine reports whether line (1-based, in the new version) is on the
// RIGHT side of one of f's hunks, which is where GitHub accepts a review
// comment, and returns the index of that hunk.
func (f *File) RightLine(line int) (hunk int, ok bool) {
	for i, h := range f.Hunks {
		if line >= h.NewStart && line < h.NewStart+h.NewLines {
			return i, true
		}
	}
	return -1, false
}

// AddedLine reports whether line (1-based, new version) was added or
// changed by the diff.
func (f *File) AddedLine(line int) bool {
	for _, h := range f.Hunks {
		for _, l := range h.Lines {
			if l.Kind == Added && l.NewLine == line {
				return true
			}
		}
	}
	return false
}

// ErrBadPatch is wrapped by every error of [Parse].
var ErrBadPatch = errors.New("bad unified diff")

// Parse parses a patch made of hunks. File headers ("diff --git", "---",
// "+++", "index") before the first hunk are skipped; "\ No newline at end
// of file" markers are ignored. The line counts in each header are checked
// against the lines that follow.
func Parse(patch string) (*File, error) {
	f := &File{}
	if patch == "" {
		return f, nil
	}
	lines := strings.Split(strings.TrimSuffix(patch, "\n"), "\n")
	var h *Hunk
	oldN, newN := 0, 0
	finish := func() error {
		if h == nil {
			return nil
		}
		if oldN != h.OldLines || newN != h.NewLines {
			return fmt.Errorf("%w: hunk @@ -%d,%d +%d,%d @@ has %d old and %d new lines", ErrBadPatch, h.OldStart, h.OldLines, h.NewStart, h.NewLines, oldN, newN)
		}
		f.Hunks = append(f.Hunks, *h)
		return nil
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "@@") {
			if err := finish(); err != nil {
				return nil, err
			}
			nh, err := parseHeader(l)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrBadPatch, i+1, err)
			}
			h, oldN, newN = &nh, 0, 0
			continue
		}
		if h == nil {
			continue // file headers
		}
		if strings.HasPrefix(l, `\`) {
			continue
		}
		if oldN == h.OldLines && newN == h.NewLines {
			// GitHub's patch can be followed by nothing else; anything after
			// a complete hunk that is not a new hunk is an error.
			return nil, fmt.Errorf("%w: line %d: text after a complete hunk", ErrBadPatch, i+1)
		}
		kind, text := Context, l
		if l != "" {
			kind, text = Kind(l[0]), l[1:]
		}
		ln := Line{Kind: kind, Text: text}
		switch kind {
		case Context:
			oldN++
			newN++
			ln.OldLine, ln.NewLine = h.OldStart+oldN-1, h.NewStart+newN-1
		case Added:
			newN++
			ln.NewLine = h.NewStart + newN - 1
		case Deleted:
			oldN++
			ln.OldLine = h.OldStart + oldN - 1
		default:
			return nil, fmt.Errorf("%w: line %d starts with %q", ErrBadPatch, i+1, l[0])
		}
		if oldN > h.OldLines || newN > h.NewLines {
			return nil, fmt.Errorf("%w: line %d: more lines than the hunk header says", ErrBadPatch, i+1)
		}
		h.Lines = append(h.Lines, ln)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return f, nil
}

// parseHeader parses "@@ -a[,b] +c[,d] @@[ section]".
func parseHeader(l string) (Hunk, error) {
	rest, ok := strings.CutPrefix(l, "@@ -")
	end := strings.Index(rest, " @@")
	if !ok || end < 0 {
		return Hunk{}, fmt.Errorf("malformed hunk header %q", l)
	}
	oldR, newR, ok := strings.Cut(rest[:end], " +")
	if !ok {
		return Hunk{}, fmt.Errorf("malformed hunk header %q", l)
	}
	var h Hunk
	var err error
	if h.OldStart, h.OldLines, err = parseRange(oldR); err != nil {
		return Hunk{}, fmt.Errorf("hunk header %q: %v", l, err)
	}
	if h.NewStart, h.NewLines, err = parseRange(newR); err != nil {
		return Hunk{}, fmt.Errorf("hunk header %q: %v", l, err)
	}
	return h, nil
}

func parseRange(s string) (start, n int, err error) {
	a, b, hasCount := strings.Cut(s, ",")
	if start, err = strconv.Atoi(a); err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad start %q", a)
	}
	n = 1
	if hasCount {
		if n, err = strconv.Atoi(b); err != nil || n < 0 {
			return 0, 0, fmt.Errorf("bad count %q", b)
		}
	}
	const maxLines = 1 << 30
	if start > maxLines || n > maxLines {
		return 0, 0, fmt.Errorf("range %q too large", s)
	}
	return start, n, nil
}

// SplitLines splits text into lines without their "\n". A final line
// without a newline is a line; a final newline does not start one.
func SplitLines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// op is one step of an edit script.
type op struct {
	kind Kind
	a, b int // 0-based indexes into old (a) and new (b)
}

// editScript returns the steps that turn a into b, with the fewest deleted
// and added lines when the middle is small enough (see [MaxCells]).
func editScript(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{Context, i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) <= MaxCells {
		ops = append(ops, lcsScript(ma, mb, pre)...)
	} else {
		for i := range ma {
			ops = append(ops, op{Deleted, pre + i, pre})
		}
		for j := range mb {
			ops = append(ops, op{Added, pre + len(ma), pre + j})
		}
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, op{Context, len(a) - suf + i, len(b) - suf + i})
	}
	// Number both sides again in order: reordering a run of changes leaves
	// the other side's index of a deletion or addition stale.
	ai, bi := 0, 0
	for k := range ops {
		ops[k].a, ops[k].b = ai, bi
		switch ops[k].kind {
		case Context:
			ai++
			bi++
		case Deleted:
			ai++
		case Added:
			bi++
		}
	}
	return ops
}

// lcsScript diffs a and b by longest common subsequence (O(len a * len b)
// time and space, bounded by the caller); off is added to every index.
func lcsScript(a, b []string, off int) []op {
	n, m := len(a), len(b)
	// lcs(i, j) is the LCS length of a[i:] and b[j:], kept in one flat
	// table: a slice per row would cost a slice header per line of a, which
	// MaxCells does not bound when b is short or empty.
	w := m + 1
	l := make([]int32, (n+1)*w)
	lcs := func(i, j int) int32 { return l[i*w+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i*w+j] = lcs(i+1, j+1) + 1
			} else {
				l[i*w+j] = max(lcs(i+1, j), lcs(i, j+1))
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{Context, off + i, off + j})
			i++
			j++
		case j < m && (i == n || lcs(i, j+1) >= lcs(i+1, j)):
			ops = append(ops, op{Added, off + i, off + j})
			j++
		default:
			ops = append(ops, op{Deleted, off + i, off + j})
			i++
		}
	}
	// Deletions before additions in each run of changes, as git prints them.
	for s := 0; s < len(ops); {
		if ops[s].kind == Context {
			s++
			continue
		}
		e := s
		for e < len(ops) && ops[e].kind != Context {
			e++
		}
		run := ops[s:e]
		var del, add []op
		for _, o := range run {
			if o.kind == Deleted {
				del = append(del, o)
			} else {
				add = append(add, o)
			}
		}
		copy(run, append(del, add...))
		s = e
	}
	return ops
}

// Unified returns the hunks that turn oldText into newText with ctx lines
// of context, as GitHub's "patch" of a file: "" when the texts are equal.
func Unified(oldText, newText string, ctx int) string {
	a, b := SplitLines(oldText), SplitLines(newText)
	ops := editScript(a, b)
	var out strings.Builder
	i := 0
	for i < len(ops) {
		// Find the next change.
		for i < len(ops) && ops[i].kind == Context {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-ctx, 0)
		// Extend the hunk while changes are at most 2*ctx context lines apart.
		end := i
		for end < len(ops) {
			if ops[end].kind != Context {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == Context {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		h := ops[start:end]
		oldStart, newStart := h[0].a+1, h[0].b+1
		oldN, newN := 0, 0
		var body strings.Builder
		for _, o := range h {
			switch o.kind {
			case Context:
				oldN++
				newN++
				body.WriteString(" " + a[o.a] + "\n")
			case Deleted:
				oldN++
				body.WriteString("-" + a[o.a] + "\n")
			case Added:
				newN++
				body.WriteString("+" + b[o.b] + "\n")
			}
		}
		// An empty side starts at the line before it, as diff prints it.
		if oldN == 0 {
			oldStart--
		}
		if newN == 0 {
			newStart--
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", rangeText(oldStart, oldN), rangeText(newStart, newN))
		out.WriteString(body.String())
		i = end
	}
	return strings.TrimSuffix(out.String(), "\n")
}

func rangeText(start, n int) string {
	if n == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}
