package gitmirror

import (
	"strings"
	"testing"
)

func TestParseBlobs(t *testing.T) {
	oid := strings.Repeat("a", 40)
	for _, tc := range []struct {
		name, in string
		want     []blob
	}{
		{"a blob in a directory is kept with its path", "100644 blob " + oid + "\tsvc/smartstack.yaml\x00", []blob{{oid, "svc/smartstack.yaml"}}},
		{"a path with spaces and tabs survives", "100644 blob " + oid + "\ta b\tc\x00", []blob{{oid, "a b\tc"}}},
		{"a submodule is no blob", "160000 commit " + oid + "\tsub\x00", nil},
		{"a record without a tab is skipped", "100644 blob " + oid + " x\x00", nil},
		{"a short object id is skipped", "100644 blob abc\tx\x00", nil},
		{"empty output is no blob", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseBlobs([]byte(tc.in))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func FuzzParseBlobs(f *testing.F) {
	oid := strings.Repeat("0", 40)
	f.Add([]byte("100644 blob " + oid + "\tsvc/smartstack.yaml\x00040000 tree " + oid + "\tsvc\x00"))
	f.Add([]byte("\x00\t\x00 blob \t"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, b := range parseBlobs(in) {
			if !isOID(b.oid) || b.path == "" || strings.ContainsRune(b.path, 0) {
				t.Fatalf("bad blob %q", b)
			}
		}
	})
}

func TestParseGitVersion(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     [2]int
		ok       bool
	}{
		{"a Debian git", "git version 2.39.5\n", [2]int{2, 39}, true},
		{"Apple's suffix", "git version 2.39.3 (Apple Git-146)", [2]int{2, 39}, true},
		{"a Windows build", "git version 2.45.1.windows.1", [2]int{2, 45}, true},
		{"no minor version", "git version 3", [2]int{}, false},
		{"not git's answer", "hub version 2.14", [2]int{}, false},
		{"empty", "", [2]int{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseGitVersion(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseGitVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseGitVersion(f *testing.F) {
	for _, s := range []string{"git version 2.39.5", "git version 2.45.1.windows.1", "git version ", "git version -1.2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := parseGitVersion(s); ok && (v[0] < 0 || v[1] < 0) {
			t.Fatalf("parseGitVersion(%q) = %v", s, v)
		}
	})
}
