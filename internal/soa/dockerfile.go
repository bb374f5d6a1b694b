package soa

import (
	"bufio"
	"bytes"
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
// name literally ("8888", "8888/tcp", "8000-8010"), each once, at its first
// EXPOSE; ports given through variables cannot be known statically and are
// left out, as are numbers that are no port. Listing each port once bounds
// the result: "EXPOSE 1-1000 1-1000 ..." would otherwise expand a 1 MiB
// Dockerfile into over a hundred million entries.
func DockerfileExposes(data []byte) []Expose {
	var out []Expose
	var seen [maxPort + 1]bool
	add := func(instr string, line int) {
		exposeArgs(instr, func(p int) {
			if !seen[p] {
				seen[p] = true
				out = append(out, Expose{Port: p, Line: line})
			}
		})
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line, start := 0, 0
	var logical strings.Builder
	for sc.Scan() {
		line++
		text := sc.Text()
		if logical.Len() == 0 {
			start = line
			if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
		}
		if cont, ok := strings.CutSuffix(strings.TrimRight(text, " \t"), "\\"); ok {
			logical.WriteString(cont + " ")
			continue
		}
		logical.WriteString(text)
		add(logical.String(), start)
		logical.Reset()
	}
	if logical.Len() > 0 {
		add(logical.String(), start)
	}
	return out
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
