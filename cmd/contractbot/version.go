package main

import (
	"context"
	"fmt"
	"runtime"
)

// version is stamped at build time with -ldflags "-X main.version=…"; the
// Makefile does so from `git describe`.
var version = "dev"

func runVersion(_ context.Context, io stdio, args []string) error {
	flags := newFlags(io, "version", "version (or: contractbot --version)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("takes no arguments")
	}
	fmt.Fprintf(io.out, "contractbot %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
	return nil
}
