package soa

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// The cases were checked against PyYAML 6's pure-Python SafeLoader, whose
// scanner ruamel.yaml's derives from, and its C loader: each "want" line is
// where the pure scanner raises on a document the C loader accepts.
func TestRuamelTab(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		line, col int
	}{
		{"a tab between a key and its comment is refused", "main:\t# tab before comment\n  cpus: 1\n", 1, 6},
		{"a tab after a value is refused", "main:\n  cpus: 1\t\n", 2, 10},
		{"a tab inside a plain value is refused", "main:\n  cmd: a\tb\n", 2, 9},
		{"a tab after an anchor is refused", "a: &x\t1\n", 1, 6},
		{"a tab in flow context is refused", "a: [1,\t2]\n", 1, 7},
		{"a tab after a quoted value is refused", "a: 'x'\t# c\n", 1, 7},
		{"a tab inside single quotes is accepted", "a: 'x\ty'\n", 0, 0},
		{"a tab inside double quotes across lines is accepted", "a: \"x\n\ty\"\n", 0, 0},
		{"a tab inside a comment is accepted", "a: b # c\td\n", 0, 0},
		{"a tab in a block scalar's content is accepted", "cmd: |\n    if x; then\n    \techo\n    fi\nb: 1\n", 0, 0},
		{"a tab after a block scalar ends is refused", "a: |\n  x\nb:\t1\n", 3, 3},
		{"a document without tabs is accepted", "a: 1\n", 0, 0},
		{"a quote inside a plain value does not start a quoted value", "k: it's\tok\n", 1, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col := RuamelTab([]byte(tt.doc))
			if line != tt.line || col != tt.col {
				t.Errorf("RuamelTab(%q) = %d:%d, want %d:%d", tt.doc, line, col, tt.line, tt.col)
			}
		})
	}
}

func TestRuamelReadsOnlyKubernetesAndEKSFiles(t *testing.T) {
	for rel, want := range map[string]bool{
		"kubernetes-norcal-prod.yaml":          true,
		"eks-norcal-prod.yaml":                 true,
		"autotuned_defaults/kubernetes-x.yaml": false,
		"service.yaml":                         false,
		"tron-norcal-prod.yaml":                false,
		"kubernetes-norcal-prod.yaml.in":       false,
	} {
		if got := RuamelReads(rel); got != want {
			t.Errorf("RuamelReads(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestATabOnlyRuamelRefusesMakesAKubernetesFileUnloadable(t *testing.T) {
	fsys := fstest.MapFS{
		"svc/kubernetes-norcal-prod.yaml": {Data: []byte("main:\t# c\n  cpus: 1\n")},
		"svc/tron-norcal-prod.yaml":       {Data: []byte("job:\t# c\n  node: paasta\n")},
	}
	svc, err := LoadService(fsys, "svc", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	k := svc.File("kubernetes-norcal-prod.yaml")
	var se *SyntaxError
	if k == nil || k.Err == nil || !errors.As(k.Err, &se) || !se.Ruamel || se.Line != 1 || !strings.Contains(se.Msg, "column 6") {
		t.Errorf("kubernetes file: got %+v, want a ruamel syntax error at line 1 column 6", k)
	}
	if tr := svc.File("tron-norcal-prod.yaml"); tr == nil || tr.Err != nil {
		t.Errorf("tron file, read with the C loader: got %+v, want it loaded", tr)
	}
}

func FuzzRuamelTab(f *testing.F) {
	for _, s := range []string{"main:\t# c\n", "a: |\n  \tx\n", "a: 'x\ty'\n", "a: \"\\\"\t\"\n", "- [a, {b:\tc}]\n", "k: '''\t'\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		line, col := RuamelTab(data)
		if line == 0 {
			return
		}
		lines := strings.Split(string(data), "\n")
		if line > len(lines) || col < 1 || col > len(lines[line-1]) || lines[line-1][col-1] != '\t' {
			t.Fatalf("RuamelTab(%q) = %d:%d, which is not a tab", data, line, col)
		}
	})
}
