package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// A Dockerfile of exactly 1 MiB on one line passes readRepoFile's limit
// but not the Dockerfile reader's: what it EXPOSEs is unknown, which must
// be said rather than taken for "no EXPOSE".
func TestAnHTTPServiceWhoseDockerfileCannotBeReadGetsANotice(t *testing.T) {
	soaDir := filepath.Join("testdata", "soa.container-port", "exposes-only-another-port", "soa")
	repo := fstest.MapFS{"Dockerfile": {Data: []byte("RUN " + strings.Repeat("x", 1<<20-4))}}
	var notices []string
	for _, f := range runSOA(t, soaEngine(t), Target{SOA: os.DirFS(soaDir), Service: "svc", Repo: repo}) {
		if f.RuleID == "soa.container-port" {
			if f.Severity != SeverityNotice || f.Path != DockerfilePath || f.Line != 1 {
				t.Errorf("unexpected finding %s", f)
			}
			notices = append(notices, f.Message)
		}
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "not read past line 1") || !strings.Contains(notices[0], "EXPOSEs port 8888") {
		t.Errorf("soa.container-port findings %q, want one notice that the Dockerfile is not read past line 1", notices)
	}
}
