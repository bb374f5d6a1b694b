package makefile

import (
	"context"
	"encoding/json"
	"go/token"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func addSeeds(f *testing.F) {
	for _, tt := range fileTests {
		for _, in := range tt.inputs {
			f.Add(in)
		}
	}
	for _, tt := range errorCases {
		f.Add(tt.in)
	}
	for _, tt := range evalErrorCases {
		f.Add(tt.src)
	}
	for _, c := range gnuCases {
		for _, b := range c.files {
			f.Add(b)
		}
	}
	f.Add("include Makefile inc.mk\n-include inc.mk\n")
	f.Add("X = $(X)\ntest: $(X)\n")
	f.Add("\x00\xff\x7f$($(${(\n\t\\\n")
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		fset := token.NewFileSet()
		file, err := ParseFile(fset, "Makefile", []byte(src), KeepComments(true))
		if file == nil {
			t.Fatalf("nil file (err %v)", err)
		}
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error is %T, want ErrorList", err)
			}
		}
		for n := range Preorder(file) {
			if n.End() < n.Pos() {
				t.Fatalf("%T ends before it starts", n)
			}
			if p := fset.Position(n.Pos()); p.Offset > len(src) {
				t.Fatalf("%T starts after the end of the file", n)
			}
		}
	})
}

// FuzzAnalyze reads arbitrary text as a makefile that may include itself,
// with small limits: it must neither panic nor run away.
func FuzzAnalyze(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{
			"Makefile": {Data: []byte(src)},
			"inc.mk":   {Data: []byte(src)},
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		a := probe(t, ctx, Config{FS: fsys, MaxSteps: 100_000, MaxValueBytes: 64 << 10, MaxIncludeDepth: 8}, "Makefile")
		if ctx.Err() != nil {
			t.Fatalf("analysis did not finish within its budget: %q", src)
		}
		if _, err := json.Marshal(a.Var); err != nil {
			t.Fatal(err)
		}
		for _, tp := range a.DB.TabProblems() {
			if tp.Line < 1 || tp.EndLine < tp.Line {
				t.Fatalf("bad tab problem range %+v", tp)
			}
		}
	})
}

func TestAnalyzeBounds(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // an error containing this
	}{
		{"a 10 MB file is refused", strings.Repeat("A = 1\n", 10<<20/6), "larger than 4 MiB"},
		{"binary garbage", strings.Repeat("\x00\x01\xfe$(\t:=\n", 1000), ""},
		{"a self-including makefile", "include Makefile\n", "nested more than"},
		{"a recursive variable", "X = $(X)\ntest: $(X)\n", "references itself"},
		{"a foreach explosion", "L := $(foreach a,1 2 3 4 5 6 7 8 9 0,$(foreach b,1 2 3 4 5 6 7 8 9 0,$(foreach c,1 2 3 4 5 6 7 8 9 0,$(foreach d,1 2 3 4 5 6 7 8 9 0,$(foreach e,1 2 3 4 5 6 7 8 9 0,$(foreach f,1 2 3 4 5 6 7 8 9 0,$(foreach g,1 2 3 4 5 6 7 8 9 0,x)))))))\n", "budget"},
		{"many large variables", "W := 0123456789012345678901234567890123456789012345678901234567890123\nK := $(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)$(W)\nM := $(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)$(K)\n" +
			"L := 1 2 3 4 5 6 7 8\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\nL := $(L) $(L)\n" +
			"$(foreach i,$(L),$(eval V$(i) := $(M)))\n", "variables hold more than 64 MiB"},
		{"deep recursion holding large values", "X := $(foreach i,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16,0123456789012345678901234567890123456789012345678901234567890123)\n" +
			"Y := $(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)\nZ := $(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)$(Y)\n" +
			"f = $(Z)$(call f)\nA := $(call f)\n", "budget"},
		{"an eval loop", "define L\n$$(eval $$(L))\nendef\n$(eval $(L))\n", "budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := probe(t, context.Background(), Config{FS: fstest.MapFS{"Makefile": {Data: []byte(tt.src)}}}, "Makefile")
			if tt.want == "" {
				return
			}
			if !strings.Contains(a.DB.Errors.Error(), tt.want) {
				t.Errorf("errors %v, want one containing %q", a.DB.Errors, tt.want)
			}
		})
	}
}
