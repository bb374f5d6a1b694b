// Command gensoa writes a synthetic yelpsoa-configs repository for the
// benchmarks in BENCHMARKS.md:
//
//	go run ./internal/soa/soatest/gensoa DIR SERVICES FILES_PER_SERVICE
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gensoa DIR SERVICES FILES_PER_SERVICE")
		os.Exit(2)
	}
	n, err1 := strconv.Atoi(os.Args[2])
	f, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "gensoa: SERVICES and FILES_PER_SERVICE must be numbers")
		os.Exit(2)
	}
	if err := soatest.WriteRepo(os.Args[1], n, f); err != nil {
		fmt.Fprintln(os.Stderr, "gensoa:", err)
		os.Exit(1)
	}
}
