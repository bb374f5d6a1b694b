package soatest

import (
	"testing"
	"testing/fstest"
)

func TestMemFSBehavesAsAnFSMust(t *testing.T) {
	m := NewMemFS([]File{
		{Path: "a/b/c.yaml", Content: "c"},
		{Path: "a/d.yaml", Content: "d"},
		{Path: "e.md", Content: "e"},
	})
	if err := fstest.TestFS(m, "a/b/c.yaml", "a/d.yaml", "e.md", "a", "a/b"); err != nil {
		t.Fatal(err)
	}
}
