package diff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"equal texts have no hunks", "a\nb\n", "a\nb\n", ""},
		{"a changed line is deleted then added, with context",
			"1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4x\n5\n6\n7\n8\n",
			"@@ -1,7 +1,7 @@\n 1\n 2\n 3\n-4\n+4x\n 5\n 6\n 7"},
		{"a new file is one added hunk", "", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b"},
		{"a deleted file is one deleted hunk", "a\n", "", "@@ -1 +0,0 @@\n-a"},
		{"distant changes make two hunks",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n",
			"@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y"},
		{"near changes share a hunk",
			"1\n2\n3\n4\n5\n", "x\n2\n3\n4\ny\n",
			"@@ -1,5 +1,5 @@\n-1\n+x\n 2\n 3\n 4\n-5\n+y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unified(tt.old, tt.new, DefaultContext)
			if got != tt.want {
				t.Fatalf("Unified:\n%s\nwant:\n%s", got, tt.want)
			}
			checkApplies(t, tt.old, tt.new, got)
		})
	}
}

// apply rebuilds the new text from the old one and a patch.
func apply(t *testing.T, old string, f *File) []string {
	t.Helper()
	a := SplitLines(old)
	var out []string
	next := 0 // 0-based index into a
	for _, h := range f.Hunks {
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
		}
		out = append(out, a[next:start]...)
		next = start
		for _, l := range h.Lines {
			switch l.Kind {
			case Context:
				if a[next] != l.Text {
					t.Fatalf("context %q does not match old line %d %q", l.Text, next+1, a[next])
				}
				out = append(out, l.Text)
				next++
			case Deleted:
				if a[next] != l.Text {
					t.Fatalf("deleted %q does not match old line %d %q", l.Text, next+1, a[next])
				}
				next++
			case Added:
				out = append(out, l.Text)
			}
		}
	}
	return append(out, a[next:]...)
}

func checkApplies(t *testing.T, old, new, patch string) {
	t.Helper()
	f, err := Parse(patch)
	if err != nil {
		t.Fatalf("Parse(Unified): %v\n%s", err, patch)
	}
	got := strings.Join(apply(t, old, f), "\n")
	if want := strings.Join(SplitLines(new), "\n"); got != want {
		t.Fatalf("applying the patch gives\n%s\nwant\n%s\npatch:\n%s", got, want, patch)
	}
	// Every line of the new text that the patch adds is a RIGHT line.
	b := SplitLines(new)
	for _, h := range f.Hunks {
		for _, l := range h.Lines {
			if l.Kind != Deleted {
				if _, ok := f.RightLine(l.NewLine); !ok || b[l.NewLine-1] != l.Text {
					t.Fatalf("line %d %q is not a RIGHT line or has the wrong text", l.NewLine, l.Text)
				}
			}
		}
	}
}

func TestUnified_RandomEditsApplyBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	words := []string{"a", "b", "c", "d", "", "DOCKER_TAG ?= x", "\tmake"}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))] + "\n")
		}
		return b.String()
	}
	for range 500 {
		old := text(rng.IntN(30))
		lines := SplitLines(old)
		for range rng.IntN(5) {
			switch i := rng.IntN(len(lines) + 1); rng.IntN(3) {
			case 0:
				lines = append(lines[:i], append([]string{words[rng.IntN(len(words))]}, lines[i:]...)...)
			case 1:
				if i < len(lines) {
					lines = append(lines[:i], lines[i+1:]...)
				}
			default:
				if i < len(lines) {
					lines[i] = "changed"
				}
			}
		}
		new := strings.Join(lines, "\n")
		if len(lines) > 0 {
			new += "\n"
		}
		checkApplies(t, old, new, Unified(old, new, rng.IntN(4)))
	}
}

func TestUnified_AHugeMiddleIsReplacedWholesale(t *testing.T) {
	var a, b strings.Builder
	for i := range 3000 {
		a.WriteString("a" + string(rune('0'+i%10)) + "\n")
		b.WriteString("b" + string(rune('0'+i%10)) + "\n")
	}
	p := Unified(a.String(), b.String(), 3)
	if !strings.HasPrefix(p, "@@ -1,3000 +1,3000 @@\n-a0\n") {
		t.Fatalf("patch starts %q", p[:40])
	}
	checkApplies(t, a.String(), b.String(), p)
}

func TestParse_RightLinesAreContextAndAdditions(t *testing.T) {
	patch := "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n\\ No newline at end of file\n@@ -10,2 +11,2 @@\n x\n-y\n+Y"
	f, err := Parse(patch)
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[int]bool{1: true, 2: true, 3: true, 4: true, 5: false, 10: false, 11: true, 12: true, 13: false} {
		if _, ok := f.RightLine(line); ok != want {
			t.Errorf("RightLine(%d) = %v, want %v", line, ok, want)
		}
	}
	if !f.AddedLine(2) || f.AddedLine(1) || !f.AddedLine(12) {
		t.Errorf("AddedLine wrong")
	}
}

func TestParse_RejectsHunksThatDisagreeWithTheirHeaders(t *testing.T) {
	for _, p := range []string{
		"@@ -1,2 +1,2 @@\n a",
		"@@ -1 +1 @@\n a\n b",
		"@@ -1 +1 @@\n?a",
		"@@ -x +1 @@\n a",
		"@@ garbage",
	} {
		if _, err := Parse(p); err == nil {
			t.Errorf("Parse(%q) accepted it", p)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c")
	f.Add("@@ -0,0 +1 @@\n+x")
	f.Fuzz(func(t *testing.T, p string) {
		file, err := Parse(p)
		if err != nil {
			return
		}
		for _, h := range file.Hunks {
			for _, l := range h.Lines {
				if l.Kind != Deleted {
					if _, ok := file.RightLine(l.NewLine); !ok {
						t.Fatalf("line %d of a hunk is not a RIGHT line", l.NewLine)
					}
				}
			}
		}
	})
}

func FuzzUnified(f *testing.F) {
	f.Add("a\nb\n", "a\nc\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 4096 || len(b) > 4096 {
			return
		}
		checkApplies(t, a, b, Unified(a, b, 3))
	})
}
