package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeExample is a fenced block of the README whose first line is a
// contractbot command ("$ contractbot …" or "$ bin/contractbot …") and
// whose other lines are what it prints on stdout.
type readmeExample struct {
	command    string // after "$ "
	args       []string
	start, end int // byte offsets of the output in the README
}

// readmeExamples finds the examples of a README, and its set-up commands:
// the lines of its first ```sh block.
func readmeExamples(readme string) (setup []string, examples []readmeExample) {
	off := 0
	lines := strings.SplitAfter(readme, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		off += len(line)
		if !strings.HasPrefix(line, "```") {
			continue
		}
		info := strings.TrimSpace(strings.TrimPrefix(line, "```"))
		j := i + 1
		bodyStart := off
		for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
			j++
		}
		body := lines[i+1 : j]
		bodyEnd := bodyStart
		for _, l := range body {
			bodyEnd += len(l)
		}
		if info == "sh" && setup == nil {
			for _, l := range body {
				setup = append(setup, strings.TrimSpace(l))
			}
		}
		if len(body) > 0 {
			first := strings.TrimSuffix(body[0], "\n")
			if cmd, ok := strings.CutPrefix(first, "$ "); ok {
				fields := strings.Fields(cmd)
				if len(fields) > 0 && (fields[0] == "contractbot" || fields[0] == "bin/contractbot") {
					examples = append(examples, readmeExample{command: cmd, args: fields[1:], start: bodyStart + len(body[0]), end: bodyEnd})
				}
			}
		}
		for _, l := range lines[i+1 : min(j+1, len(lines))] {
			off += len(l)
		}
		i = j
	}
	return setup, examples
}

// The README's examples are what the binary prints, run from the
// repository's root, so that they cannot go stale; UPDATE_README=1
// rewrites them. Its first command is exactly two lines, the main job on
// the bundled example and the tests, and the first example is the main
// job's output.
func TestREADMEExamplesAreWhatTheBinaryPrints(t *testing.T) {
	path, err := filepath.Abs("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	setup, examples := readmeExamples(readme)
	if len(setup) != 2 || setup[1] != "make test" {
		t.Fatalf("the README's set-up block is %q; want two commands, the main job and `make test`", setup)
	}
	const build = "go build -o bin/contractbot ./cmd/contractbot && "
	main, ok := strings.CutPrefix(setup[0], build)
	if !ok {
		t.Fatalf("the README's first command %q does not start with %q", setup[0], build)
	}
	if len(examples) == 0 || examples[0].command != main {
		t.Fatalf("the README's first example is not the output of its first command %q", main)
	}
	t.Chdir(filepath.Dir(path))
	var b strings.Builder
	last := 0
	for _, ex := range examples {
		if strings.ContainsAny(ex.command, `'"\$*?`) {
			t.Errorf("README example %q: quote-free commands only (the test splits at blanks)", ex.command)
			continue
		}
		var out, errb bytes.Buffer
		code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, ex.args)
		if code >= exitUsage || errb.Len() > 0 {
			t.Errorf("README example %q: exit %d, stderr:\n%s", ex.command, code, errb.String())
		}
		if got, want := out.String(), readme[ex.start:ex.end]; got != want {
			if os.Getenv("UPDATE_README") != "1" {
				t.Errorf("README example %q is stale (UPDATE_README=1 go test ./cmd/contractbot -run README rewrites it); the binary prints:\n%s", ex.command, got)
			}
		}
		b.WriteString(readme[last:ex.start])
		b.WriteString(out.String())
		last = ex.end
	}
	b.WriteString(readme[last:])
	if os.Getenv("UPDATE_README") == "1" && b.String() != readme {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadmeExamplesFindsCommandsAndTheirOutput(t *testing.T) {
	readme := "# x\n\n```sh\ngo build && bin/contractbot check .\nmake test\n```\n\ntext\n\n```\n$ bin/contractbot check .\nout 1\nout 2\n```\n\n```yaml\n$ other\n```\n\n```\n$ contractbot rules makefile.tabs\n```\n"
	setup, ex := readmeExamples(readme)
	if len(setup) != 2 || setup[1] != "make test" {
		t.Fatalf("setup %q", setup)
	}
	if len(ex) != 2 || ex[0].command != "bin/contractbot check ." || readme[ex[0].start:ex[0].end] != "out 1\nout 2\n" ||
		strings.Join(ex[1].args, " ") != "rules makefile.tabs" || ex[1].start != ex[1].end {
		t.Fatalf("examples %+v", ex)
	}
}
