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
