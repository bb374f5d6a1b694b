package fix

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

// FuzzApply checks the applier against a reference on random edits: an
// accepted set of edits changes exactly the edited ranges (every byte
// outside them is kept, in order), and a set with two edits that overlap
// is always refused with a conflict.
func FuzzApply(f *testing.F) {
	f.Add([]byte("DOCKER_TAG := x\ntest:\n\ttrue\n"), []byte{0, 4, 1, 3, 5, 2})
	f.Add([]byte("a\nb\nc"), []byte{1, 1, 0, 1, 1, 0})
	f.Add([]byte("pipeline:\n  - step: itest\n"), []byte{20, 0, 3, 20, 0, 4})
	f.Fuzz(func(t *testing.T, raw, spec []byte) {
		// Source text over a small alphabet (no \r: the line ending is
		// tested by the table tests), so that edits hit lines often.
		const alpha = "ab \t\n:#"
		src := make([]byte, len(raw))
		for i, c := range raw {
			src[i] = alpha[int(c)%len(alpha)]
		}
		starts := []int{0}
		for i, c := range src {
			if c == '\n' && i+1 < len(src) {
				starts = append(starts, i+1)
			}
		}
		type ref struct {
			start, end int
			text       string
		}
		var edits []checks.TextEdit
		var refs []ref
		for i := 0; i+2 < len(spec) && len(edits) < 6; i += 3 {
			start := int(spec[i]) % (len(src) + 1)
			end := min(start+int(spec[i+1])%5, len(src))
			text := []string{"", "X", "YY", "#z"}[int(spec[i+2])%4]
			// Positions of the offsets, as a rule would write them.
			pos := func(off int) (int, int) {
				ln := 0
				for ln+1 < len(starts) && starts[ln+1] <= off {
					ln++
				}
				return ln + 1, off - starts[ln] + 1
			}
			l1, c1 := pos(start)
			l2, c2 := pos(end)
			edits = append(edits, cols(l1, c1, l2, c2, text))
			refs = append(refs, ref{start, end, text})
		}
		conflict := false
		for i := range refs {
			for j := range i {
				a, b := refs[i], refs[j]
				if a == b || (a.start == a.end && a.text == "") || (b.start == b.end && b.text == "") {
					continue
				}
				if a.start == a.end && b.start == b.end {
					conflict = conflict || a.start == b.start
				} else if a.start < b.end && b.start < a.end {
					conflict = true
				}
			}
		}
		got, err := Apply(src, edits)
		var ce *ConflictError
		switch {
		case conflict && !errors.As(err, &ce):
			t.Fatalf("overlapping edits %v on %q: err = %v, want a conflict", refs, src, err)
		case conflict:
			return
		case err != nil:
			t.Fatalf("edits %v on %q: %v", refs, src, err)
		}
		// The reference: apply the distinct edits in offset order.
		var uniq []ref
		for _, r := range refs {
			if !slices.Contains(uniq, r) && !(r.start == r.end && r.text == "") {
				uniq = append(uniq, r)
			}
		}
		slices.SortStableFunc(uniq, func(a, b ref) int {
			if a.start != b.start {
				return a.start - b.start
			}
			return a.end - b.end
		})
		var want []byte
		pos := 0
		for _, r := range uniq {
			want = append(want, src[pos:r.start]...)
			want = append(want, r.text...)
			pos = r.end
		}
		want = append(want, src[pos:]...)
		if len(src) > 0 && src[len(src)-1] != '\n' {
			want = bytes.TrimSuffix(want, []byte("\n"))
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("edits %v on %q:\ngot  %q\nwant %q", refs, src, got, want)
		}
	})
}
