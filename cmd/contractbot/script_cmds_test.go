package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the commands the scripts have besides testscript's own.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"gensoa":    cmdGenSOA,
		"interrupt": cmdInterrupt,
	}
}

// cmdGenSOA writes a soa tree of N small services: gensoa DIR N.
func cmdGenSOA(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gensoa DIR N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("gensoa: %v", err)
	}
	for i := range n {
		dir := ts.MkAbs(filepath.Join(args[0], fmt.Sprintf("svc%05d", i)))
		ts.Check(os.MkdirAll(dir, 0o755))
		ts.Check(os.WriteFile(filepath.Join(dir, "service.yaml"), []byte("description: a service\nexternal_link: https://example.com\n"), 0o644))
		ts.Check(os.WriteFile(filepath.Join(dir, "deploy.yaml"), []byte("pipeline:\n- step: itest\n- step: security-check\n- step: push-to-registry\n- step: prod.main\n"), 0o644))
	}
}

// cmdInterrupt runs a program on a tree and sends it SIGINT once it is
// reading the tree (so that it is past start-up, with its signal handling
// in place), then prints its output and "exit N": interrupt DIR PROG ARGS...
// It needs /proc to see the program's open files.
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: interrupt DIR PROG [ARGS...]")
	}
	if runtime.GOOS != "linux" {
		ts.Fatalf("interrupt needs Linux's /proc")
	}
	tree := ts.MkAbs(args[0])
	prog, err := exec.LookPath(args[1])
	if err != nil {
		// testscript puts its commands on the script's PATH, not ours.
		for _, d := range filepath.SplitList(ts.Getenv("PATH")) {
			if p := filepath.Join(d, args[1]); fileExists(p) {
				prog, err = p, nil
				break
			}
		}
		ts.Check(err)
	}
	cmd := exec.Command(prog, args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = os.Environ()
	for _, kv := range []string{"PATH", "HOME", "TMPDIR"} {
		cmd.Env = append(cmd.Env, kv+"="+ts.Getenv(kv))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for !readsUnder(cmd.Process.Pid, tree) {
		select {
		case err := <-done:
			ts.Fatalf("%s finished (%v) before it read %s; make the tree bigger\nstdout:\n%s\nstderr:\n%s", args[1], err, args[0], stdout.String(), stderr.String())
		case <-time.After(time.Millisecond):
		}
	}
	ts.Check(cmd.Process.Signal(os.Interrupt))
	err = <-done
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprintf(ts.Stdout(), "exit %d\n", code)
	fmt.Fprint(ts.Stderr(), stderr.String())
}

// readsUnder reports whether process pid has a file or directory under
// dir open.
func readsUnder(pid int, dir string) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && (target == dir || strings.HasPrefix(target, dir+"/")) {
			return true
		}
	}
	return false
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
