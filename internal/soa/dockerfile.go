package soa

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Expose is one port of a Dockerfile EXPOSE instruction.
type Expose struct {
	Port int
	Line int
}

// maxPort is the highest TCP/UDP port number.
const maxPort = 65535

// DockerfileExposes returns the ports the Dockerfile's EXPOSE instructions
// (as [dockerfileInstructions] reads them; ONBUILD ones are left out) name
// literally ("8888", "8888/tcp", "8000-8010"), each once, at its first
// EXPOSE; ports given through variables cannot be known statically and are
// left out, as are numbers that are no port. Listing each port once bounds
// the result: "EXPOSE 1-1000 1-1000 ..." would otherwise expand a 1 MiB
// Dockerfile into over a hundred million entries. The error is a line
// longer than 1 MiB, past which nothing was read: the ports before it are
// returned.
func DockerfileExposes(data []byte) ([]Expose, error) {
	var out []Expose
	var seen [maxPort + 1]bool
	err := dockerfileInstructions(data, func(instr string, line int) {
		exposeArgs(instr, func(p int) {
			if !seen[p] {
				seen[p] = true
				out = append(out, Expose{Port: p, Line: line})
			}
		})
	})
	return out, err
}

// DockerfileHasInstruction reports whether a Dockerfile has an
// instruction, as [dockerfileInstructions] reads it. One with none (empty,
// or only comments, blank lines and parser directives) is refused by
// docker build: "the Dockerfile cannot be empty", BuildKit's "file with no
// instructions". The error is a line longer than 1 MiB with no instruction
// before it: past it the reader cannot tell.
func DockerfileHasInstruction(data []byte) (bool, error) {
	var found bool
	err := dockerfileInstructions(data, func(string, int) { found = true })
	if found {
		return true, nil
	}
	return false, err
}

// exposeArgs calls port for each port of one EXPOSE instruction, in order,
// ranges expanded (a range wider than 1000 ports is skipped as implausible).
func exposeArgs(instr string, port func(int)) {
	fields := strings.Fields(instr)
	if len(fields) < 2 || !strings.EqualFold(fields[0], "EXPOSE") {
		return
	}
	for _, a := range fields[1:] {
		a, _, _ = strings.Cut(a, "/")
		lo, hi, isRange := strings.Cut(a, "-")
		from, err := strconv.Atoi(lo)
		if err != nil || from < 0 || from > maxPort {
			continue
		}
		to := from
		if isRange {
			if to, err = strconv.Atoi(hi); err != nil || to < from || to-from > 1000 || to > maxPort {
				continue
			}
		}
		for p := from; p <= to; p++ {
			port(p)
		}
	}
}

// dockerfileInstructions calls instr for each instruction of a Dockerfile,
// in order, with its continuation lines joined and the 1-based line it
// starts on, reading the lines the way BuildKit does: the escape parser
// directive, a byte-order mark before the first line, comment lines,
// continuation lines (also across comment and blank lines) and heredocs, whose bodies are skipped so that text in them
// is never taken for an instruction. It is the one Dockerfile line reader:
// every rule that reads instructions goes through it, so that they all
// agree on what an instruction is. The error is a line longer than 1 MiB,
// past which nothing was read.
func dockerfileInstructions(data []byte, instr func(text string, line int)) error {
	escape := byte('\\')
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		logical  strings.Builder
		line     int
		start    int
		directiv = true // parser directives may only come first
		heredocs []string
	)
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			// BuildKit drops a UTF-8 byte-order mark before the first line;
			// kept, it would hide a directive, a comment or COPY.
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if len(heredocs) > 0 {
			if strings.TrimLeft(text, "\t") == heredocs[0] {
				heredocs = heredocs[1:]
			}
			continue
		}
		trimmed := strings.TrimSpace(text)
		if directiv {
			if k, v, ok := strings.Cut(strings.TrimPrefix(trimmed, "#"), "="); ok && strings.HasPrefix(trimmed, "#") && strings.EqualFold(strings.TrimSpace(k), "escape") {
				if v = strings.TrimSpace(v); v == "`" {
					escape = '`'
				}
				continue
			}
			if !strings.HasPrefix(trimmed, "#") || !strings.Contains(trimmed, "=") {
				directiv = false
			}
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // comments and blank lines, also inside a continued instruction, are dropped
		}
		if logical.Len() == 0 {
			start = line
		}
		if t := strings.TrimRight(text, " \t"); strings.HasSuffix(t, string(escape)) {
			logical.WriteString(t[:len(t)-1] + " ")
			continue
		}
		logical.WriteString(text)
		whole := logical.String()
		logical.Reset()
		heredocs = heredocWords(whole)
		instr(whole, start)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	// A continuation on the last line ends the instruction; one with
	// nothing before it ("\\" alone) is no instruction.
	if strings.TrimSpace(logical.String()) != "" {
		instr(logical.String(), start)
	}
	return nil
}

// heredocWords returns the terminators of the heredocs an instruction
// opens (<<EOF, <<-EOF, <<"EOF" at the start of a word), in order. BuildKit
// reads heredocs in RUN, COPY and ADD only, and splits the instruction into
// shell words first, so a "<<" inside quotes ("sh -c 'cat <<EOF'") opens
// none: taking it for one would skip the rest of the Dockerfile.
func heredocWords(instr string) []string {
	cmd, _, _ := strings.Cut(strings.TrimSpace(instr), " ")
	if cmd = strings.ToUpper(cmd); cmd != "RUN" && cmd != "COPY" && cmd != "ADD" {
		return nil
	}
	var words []string
	var quote byte
	for i := 0; i < len(instr); i++ {
		c := instr[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		case c == '\\':
			i++
			continue
		case c != '<' || i == 0 || (instr[i-1] != ' ' && instr[i-1] != '\t') || !strings.HasPrefix(instr[i:], "<<"):
			continue
		}
		rest := strings.TrimPrefix(instr[i+2:], "-")
		w := rest
		if j := strings.IndexAny(w, " \t"); j >= 0 {
			w = w[:j]
		}
		i += 2 + len(instr[i+2:]) - len(rest) + len(w) - 1
		w = strings.Trim(w, `"'`)
		if w != "" && isHeredocWord(w) {
			words = append(words, w)
		}
	}
	return words
}

func isHeredocWord(w string) bool {
	for _, r := range w {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
