package makefile_test

import (
	"context"
	"fmt"
	"go/token"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/makefile"
)

func ExampleAnalyze() {
	repo := fstest.MapFS{
		"Makefile": {Data: []byte("DOCKER_TAG = web-api-dev\n\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\nitest: cook-image\n\tpytest tests/system\n")},
	}
	a, err := makefile.Analyze(context.Background(), repo, "Makefile")
	if err != nil {
		panic(err)
	}
	dt := a.Facts.DockerTag
	fmt.Println("test:", a.Facts.Targets["test"].How)
	fmt.Println("itest uses DOCKER_TAG:", *a.Facts.ItestUsesDockerTag)
	fmt.Printf("DOCKER_TAG default %q, overridable: %v\n", *dt.Default, dt.Conditional)
	fmt.Printf("set at %s:%d with %s\n", a.DockerTagAssign.Path, a.DockerTagAssign.Line, a.DockerTagAssign.Op)
	// Output:
	// test: none
	// itest uses DOCKER_TAG: true
	// DOCKER_TAG default "web-api-dev", overridable: false
	// set at Makefile:1 with =
}

func ExampleParseFile() {
	src := "ifdef CI\nFLAGS := -q\nendif\ntest:\n\tpytest $(FLAGS)\n"
	fset := token.NewFileSet()
	f, err := makefile.ParseFile(fset, "Makefile", []byte(src))
	if err != nil {
		panic(err)
	}
	for n := range makefile.Preorder(f) {
		switch n := n.(type) {
		case *makefile.Assign:
			fmt.Printf("%s: assign %s %s %q\n", fset.Position(n.Pos()), n.Name, n.Op, n.Value)
		case *makefile.RuleLine:
			fmt.Printf("%s: rule %q\n", fset.Position(n.Pos()), n.Text)
		case *makefile.Recipe:
			fmt.Printf("%s: recipe %q\n", fset.Position(n.Pos()), n.Text)
		}
	}
	// Output:
	// Makefile:2:1: assign FLAGS := "-q"
	// Makefile:4:1: rule "test:"
	// Makefile:5:1: recipe "pytest $(FLAGS)"
}
