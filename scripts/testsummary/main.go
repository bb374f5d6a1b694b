// Command testsummary reads `go test -json` on standard input and prints
// what `go test` would (the package lines, the output of failed tests),
// then the tests that were skipped and why: an integration test skips
// when its tool (GNU make, git, PostgreSQL, a registry) is missing, and the
// reason is otherwise lost in thousands of lines. It exits 1 when a test
// or a build failed, or when there were no results at all.
//
//	go test -json ./... | go run ./scripts/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	ok, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// event is one line of test2json (go doc test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output, build-fail
	Test       string
	Output     string
}

// maxBuffered bounds the output kept per test (a chatty test's log).
const maxBuffered = 1 << 20

// summarize copies the run's outcome to w and reports whether it passed.
func summarize(r io.Reader, w io.Writer) (bool, error) {
	type key struct{ pkg, test string }
	buffered := map[key]*strings.Builder{}
	var skipped []string
	packages, failed := 0, false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not test2json: go's own error (a bad pattern, a vet
			// failure) goes through as it is.
			fmt.Fprintln(w, sc.Text())
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "build-fail":
			failed = true
		case "output":
			if e.Test == "" {
				// -json runs the tests verbosely; a passing package's
				// "PASS" is not printed without -v.
				if e.Output != "PASS\n" {
					fmt.Fprint(w, e.Output)
				}
				continue
			}
			b := buffered[k]
			if b == nil {
				b = &strings.Builder{}
				buffered[k] = b
			}
			if b.Len() < maxBuffered {
				b.WriteString(e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				packages++
				failed = failed || e.Action == "fail"
				continue
			}
			out := ""
			if b := buffered[k]; b != nil {
				out = b.String()
			}
			delete(buffered, k)
			switch e.Action {
			case "fail":
				failed = true
				fmt.Fprint(w, out)
			case "skip":
				skipped = append(skipped, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason(out)))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	if len(skipped) > 0 {
		slices.Sort(skipped)
		fmt.Fprintf(w, "\n%d skipped (install the tool named to run them; make itest requires them all):\n", len(skipped))
		for _, s := range skipped {
			fmt.Fprintln(w, "  "+s)
		}
	}
	if packages == 0 {
		fmt.Fprintln(w, "testsummary: no test results on standard input")
		return false, nil
	}
	return !failed, nil
}

// reason is what a skipped test said, without go test's own lines.
func reason(out string) string {
	var parts []string
	for _, l := range strings.Split(out, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		// "file_test.go:12: git not installed": keep the message.
		if i := strings.Index(t, ": "); i > 0 && strings.Contains(t[:i], "_test.go:") {
			t = t[i+2:]
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}
