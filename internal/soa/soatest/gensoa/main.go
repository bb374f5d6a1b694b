// Command gensoa writes a synthetic yelpsoa-configs repository for the
// benchmarks in BENCHMARKS.md:
//
//	go run ./internal/soa/soatest/gensoa DIR SERVICES FILES_PER_SERVICE [SMARTSTACK]
//
// With SMARTSTACK, only that many services (spread evenly) have a
// smartstack.yaml, and SERVICES may exceed SmartStack's port range: the
// organisation-scale repository of the end-to-end tests is
// `gensoa DIR 4000 10 1800`.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: gensoa DIR SERVICES FILES_PER_SERVICE [SMARTSTACK]")
		os.Exit(2)
	}
	n, err1 := strconv.Atoi(os.Args[2])
	f, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "gensoa: SERVICES and FILES_PER_SERVICE must be numbers")
		os.Exit(2)
	}
	if len(os.Args) == 5 {
		ss, err := strconv.Atoi(os.Args[4])
		if err != nil {
			fmt.Fprintln(os.Stderr, "gensoa: SMARTSTACK must be a number")
			os.Exit(2)
		}
		files, err := soatest.Generate(n, f, ss)
		if err == nil {
			err = soatest.WriteFiles(os.Args[1], files)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gensoa:", err)
			os.Exit(1)
		}
		return
	}
	if err := soatest.WriteRepo(os.Args[1], n, f); err != nil {
		fmt.Fprintln(os.Stderr, "gensoa:", err)
		os.Exit(1)
	}
}
