package soa

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DockerfileCopy is one COPY or ADD instruction of a Dockerfile.
type DockerfileCopy struct {
	Line int    // 1-based line of the instruction
	Cmd  string // "COPY" or "ADD", upper-cased
	// From is the --from= stage or image: the sources are not read from
	// the build context then.
	From string
	// Sources are the instruction's source arguments (all but the
	// destination), as written; a heredoc source is "<<WORD".
	Sources []string
}

// FromContext reports whether the instruction copies something of the build
// context, that is of the repository: it has no --from and one of its
// sources is neither a URL (ADD fetches those) nor a heredoc. A source
// written with a variable counts: it names a path of the context, whatever
// its value.
func (c DockerfileCopy) FromContext() bool {
	if c.From != "" {
		return false
	}
	for _, s := range c.Sources {
		l := strings.ToLower(s)
		switch {
		case strings.HasPrefix(s, "<<"):
		case strings.HasPrefix(l, "http://"), strings.HasPrefix(l, "https://"), strings.HasPrefix(l, "git@"):
		default:
			return true
		}
	}
	return false
}

// DockerfileCopies returns the COPY and ADD instructions of a Dockerfile,
// the way BuildKit reads its lines: the escape parser directive, comment
// lines, continuation lines (also across comment lines) and heredocs, whose
// bodies are skipped so that text in them is never taken for an
// instruction. ONBUILD instructions are left out: they run in the builds of
// other images, not in this one. The error is a line longer than 1 MiB,
// past which nothing was read.
func DockerfileCopies(data []byte) ([]DockerfileCopy, error) {
	escape := byte('\\')
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		out      []DockerfileCopy
		logical  strings.Builder
		line     int
		start    int
		directiv = true // parser directives may only come first
		heredocs []string
	)
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
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
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && logical.Len() > 0) {
			continue // comments and blank lines inside a continued instruction are dropped
		}
		if trimmed == "" {
			continue
		}
		if logical.Len() == 0 {
			start = line
		}
		if strings.HasSuffix(strings.TrimRight(text, " \t"), string(escape)) {
			t := strings.TrimRight(text, " \t")
			logical.WriteString(t[:len(t)-1] + " ")
			continue
		}
		logical.WriteString(text)
		instr := logical.String()
		logical.Reset()
		heredocs = heredocWords(instr)
		if c, ok := parseCopy(instr, start); ok {
			out = append(out, c)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("line %d: %w", line+1, err)
	}
	if logical.Len() > 0 {
		if c, ok := parseCopy(logical.String(), start); ok {
			out = append(out, c)
		}
	}
	return out, nil
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

func parseCopy(instr string, line int) (DockerfileCopy, bool) {
	instr = strings.TrimSpace(instr)
	cmd, rest := instr, ""
	if i := strings.IndexAny(instr, " \t"); i >= 0 {
		cmd, rest = instr[:i], instr[i+1:]
	}
	cmd = strings.ToUpper(cmd)
	if cmd != "COPY" && cmd != "ADD" {
		return DockerfileCopy{}, false
	}
	c := DockerfileCopy{Line: line, Cmd: cmd}
	rest = strings.TrimSpace(rest)
	// Flags come first: --from=stage, --chown=..., --link, ...
	for strings.HasPrefix(rest, "--") {
		flag, after := rest, ""
		if i := strings.IndexAny(rest, " \t"); i >= 0 {
			flag, after = rest[:i], rest[i+1:]
		}
		if v, ok := strings.CutPrefix(flag, "--from="); ok {
			c.From = v
		}
		rest = strings.TrimSpace(after)
	}
	var args []string
	if strings.HasPrefix(rest, "[") {
		if err := json.Unmarshal([]byte(rest), &args); err != nil {
			args = strings.Fields(rest) // BuildKit then reads the shell form too
		}
	} else {
		args = strings.Fields(rest)
	}
	if len(args) >= 2 {
		c.Sources = args[:len(args)-1]
	}
	return c, true
}
