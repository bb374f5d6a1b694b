package gitobj

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func treeBytes(entries ...string) []byte {
	var b bytes.Buffer
	for i, e := range entries {
		b.WriteString(e)
		b.WriteByte(0)
		b.Write(bytes.Repeat([]byte{byte(i)}, 20))
	}
	return b.Bytes()
}

func TestParseTree(t *testing.T) {
	es, err := parseTree(treeBytes("100644 Makefile", "40000 src", "120000 link", "160000 sub"), 20)
	if err != nil || len(es) != 4 {
		t.Fatalf("parseTree = %v, %v", es, err)
	}
	if es[1] != (entry{name: "src", mode: modeDir, oid: strings.Repeat("01", 20)}) {
		t.Fatalf("entry = %+v", es[1])
	}
	for _, bad := range [][]byte{
		treeBytes("100644 .."), treeBytes("100644 a/b"), treeBytes("100644 "), treeBytes("10x644 a"),
		treeBytes("100644 a")[:10], []byte("100644 a"), treeBytes(" a"),
	} {
		if _, err := parseTree(bad, 20); err == nil {
			t.Errorf("parseTree(%q) accepted", bad)
		}
	}
}

func FuzzParseTree(f *testing.F) {
	f.Add(treeBytes("100644 Makefile", "40000 src"))
	f.Add(treeBytes("120000 link"))
	f.Add([]byte("100644 a\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := parseTree(data, 20)
		if err != nil {
			return
		}
		for _, e := range es {
			if !validPath(e.name) || strings.Contains(e.name, "/") || len(e.oid) != 40 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

// BenchmarkWalk50000 walks every directory of a 50,000-file tree through
// the store (trees only, no blob contents): the cost a rule that searches
// the whole repository, like paasta check's recursive Makefile lookup,
// would add to a hook run.
func BenchmarkWalk50000(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed")
	}
	dir := b.TempDir()
	var s strings.Builder
	s.WriteString("commit refs/heads/main\ncommitter D <d@example.com> 1767225600 +0000\ndata 1\nx\n")
	for i := range 50000 {
		c := fmt.Sprintf("%d\n", i)
		fmt.Fprintf(&s, "M 100644 inline src/d%03d/f%05d\ndata %d\n%s\n", i/100, i, len(c), c)
	}
	for _, args := range [][]string{{"init", "-q", "--bare", dir}, {"-C", dir, "fast-import", "--quiet"}} {
		cmd := exec.Command("git", args...)
		cmd.Env = cleanEnv(nil)
		cmd.Stdin = strings.NewReader(s.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	b.ResetTimer()
	for range b.N {
		st, err := Open(context.Background(), Options{GitDir: filepath.Clean(dir)})
		if err != nil {
			b.Fatal(err)
		}
		fsys, err := st.FS("main")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := fs.WalkDir(fsys, ".", func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return err
		}); err != nil || n != 50000 {
			b.Fatalf("walked %d files: %v", n, err)
		}
		st.Close()
	}
}
