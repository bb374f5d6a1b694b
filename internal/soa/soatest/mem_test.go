package soatest

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestMemFSBehavesAsAnFSMust(t *testing.T) {
	m := NewMemFS(map[string][]byte{
		"a/b/c.yaml": []byte("c"),
		"a/d.yaml":   []byte("d"),
		"e.md":       []byte("e"),
	})
	if err := fstest.TestFS(m, "a/b/c.yaml", "a/d.yaml", "e.md", "a", "a/b"); err != nil {
		t.Fatal(err)
	}
}

func TestMemRepoPutsEachServicesNameAndPortIntoTheTemplate(t *testing.T) {
	files, err := MemRepo(3, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files["svc0001/smartstack.yaml"]); !strings.Contains(got, "proxy_port: 19001\n") {
		t.Errorf("svc0001/smartstack.yaml has no proxy_port 19001:\n%s", got)
	}
	if _, ok := files["svc0002/smartstack.yaml"]; ok {
		t.Error("svc0002 is beyond withStack but has a smartstack.yaml")
	}
	if got := string(files["svc0002/kubernetes-cluster00.yaml"]); strings.Contains(got, "registrations") || !strings.Contains(got, "svc0002.worker") {
		t.Errorf("svc0002's kubernetes file still registers, or names another service:\n%s", got)
	}
	for name, data := range files {
		if strings.Contains(string(data), "tmplsvc") || strings.Contains(name, "tmplsvc") {
			t.Errorf("%s still names the template", name)
		}
	}
}
