package makefile_test

import (
	"context"
	"fmt"
	"go/token"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/makefile"
)

func ExampleRead() {
	repo := fstest.MapFS{
		"Makefile": {Data: []byte("TAG = web-api-dev\n\nimage:\n\tdocker build -t $(TAG) .\nsystem-test: image\n\tpytest tests/system\n")},
	}
	db, err := makefile.Read(context.Background(), makefile.Config{FS: repo}, "Makefile")
	if err != nil {
		panic(err)
	}
	fmt.Println("unit-test:", db.How("unit-test"))
	fmt.Println("system-test refers to TAG:", db.References("system-test", "TAG"))
	val, _ := db.Expand("$(TAG)")
	env, _, err := db.EnvironmentWins(context.Background(), "TAG")
	if err != nil {
		panic(err)
	}
	fmt.Printf("TAG is %q, the environment can override it: %v\n", val, env)
	as := db.Assignment("TAG", true)
	fmt.Printf("set at %s:%d with %s\n", as.Path, as.Line, as.Op)
	// Output:
	// unit-test: none
	// system-test refers to TAG: true
	// TAG is "web-api-dev", the environment can override it: false
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
