package githubfake

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for a test to see how New reacts; Skipf and Fatalf
// stop it with a panic, as the real ones stop the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

type stopped struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, a ...any) {
	r.skipped = fmt.Sprintf(format, a...)
	panic(stopped{})
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.failed = fmt.Sprintf(format, a...)
	panic(stopped{})
}

func newIn(r *recorder) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopped); !ok {
				panic(v)
			}
		}
	}()
	New(r)
}

func TestNew_MissingReferenceSkipsUnlessRequired(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "main")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)

	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	newIn(r)
	if r.skipped == "" || !strings.Contains(r.skipped, "api.github.com.subset.json") {
		t.Errorf("without %s: skipped %q, failed %q; want a skip naming the file", RequireEnv, r.skipped, r.failed)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	newIn(r)
	if r.failed == "" || !strings.Contains(r.failed, "api.github.com.subset.json") {
		t.Errorf("with %s=1: skipped %q, failed %q; want a failure naming the file", RequireEnv, r.skipped, r.failed)
	}
}
