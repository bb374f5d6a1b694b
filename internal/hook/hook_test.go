package hook

import (
	"strings"
	"testing"
)

func TestReadUpdates(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("0", 40)
	tests := []struct {
		name, in, err string
		want          []Update
	}{
		{"lines become updates", a + " " + b + " refs/heads/main\n" + b + " " + a + " refs/tags/x\n", "",
			[]Update{{a, b, "refs/heads/main"}, {b, a, "refs/tags/x"}}},
		{"a ref name keeps its spaces for the grammar to judge", b + " " + a + " refs/tags/a b\n", "", []Update{{b, a, "refs/tags/a b"}}},
		{"blank lines are skipped", "\n" + a + " " + a + " refs/x\n\n", "", []Update{{a, a, "refs/x"}}},
		{"a short id is refused", "abc " + a + " refs/x\n", "input line 1", nil},
		{"a missing ref is refused", a + " " + a + "\n", "want <old> <new> <refname>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadUpdates(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("update %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	if u := (Update{Old: a, New: b}); !u.Deleted() || u.Created() {
		t.Error("an all-zero new id is a deletion")
	}
}

func TestWrapKeepsEveryLineWithinTheRemoteWidth(t *testing.T) {
	long := "refs/tags/paasta-" + strings.Repeat("x", 150) + "-20260101T000000-deploy"
	text := "error ref.name: " + long + " is malformed: write it as refs/tags/paasta-<deploy_group>[+<version>]-<YYYYmmddTHHMMSS>-deploy"
	lines := Wrap("  ", "    ", text)
	var words []string
	for i, l := range lines {
		if len(l) > Width {
			t.Errorf("line %d is %d columns: %q", i, len(l), l)
		}
		if i > 0 && !strings.HasPrefix(l, "    ") {
			t.Errorf("line %d is not indented: %q", i, l)
		}
		words = append(words, strings.TrimSpace(l))
	}
	if got := strings.ReplaceAll(strings.Join(words, ""), " ", ""); got != strings.ReplaceAll(text, " ", "") {
		t.Fatalf("text lost in wrapping:\n%s", strings.Join(lines, "\n"))
	}
}

func FuzzReadUpdates(f *testing.F) {
	a := strings.Repeat("a", 40)
	f.Add(a + " " + a + " refs/heads/main\n")
	f.Add("x y z\n")
	f.Fuzz(func(t *testing.T, in string) {
		us, err := ReadUpdates(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, u := range us {
			if !isHex(u.Old) || !isHex(u.New) || u.Ref == "" {
				t.Fatalf("bad update %+v", u)
			}
		}
	})
}

func FuzzWrap(f *testing.F) {
	f.Add("error ref.name: bad timestamp")
	f.Fuzz(func(t *testing.T, text string) {
		for _, l := range Wrap("  ", "    ", text) {
			if len(l) > Width {
				t.Fatalf("line of %d columns: %q", len(l), l)
			}
		}
	})
}
