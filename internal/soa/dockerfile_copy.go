package soa

import (
	"encoding/json"
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
// as [dockerfileInstructions] reads them. ONBUILD instructions are left
// out: they run in the builds of other images, not in this one. The error
// is a line longer than 1 MiB, past which nothing was read: the copies
// before it are returned.
func DockerfileCopies(data []byte) ([]DockerfileCopy, error) {
	var out []DockerfileCopy
	err := dockerfileInstructions(data, func(instr string, line int) {
		if c, ok := parseCopy(instr, line); ok {
			out = append(out, c)
		}
	})
	return out, err
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
