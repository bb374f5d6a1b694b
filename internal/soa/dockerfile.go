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

// DockerfileExposes returns the ports the Dockerfile's EXPOSE instructions
// name literally ("8888", "8888/tcp", "8000-8010"); ports given through
// variables cannot be known statically and are left out.
func DockerfileExposes(data []byte) []Expose {
	var out []Expose
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
		out = append(out, exposeArgs(logical.String(), start)...)
		logical.Reset()
	}
	if logical.Len() > 0 {
		out = append(out, exposeArgs(logical.String(), start)...)
	}
	return out
}

func exposeArgs(instr string, line int) []Expose {
	fields := strings.Fields(instr)
	if len(fields) < 2 || !strings.EqualFold(fields[0], "EXPOSE") {
		return nil
	}
	var out []Expose
	for _, a := range fields[1:] {
		a, _, _ = strings.Cut(a, "/")
		lo, hi, isRange := strings.Cut(a, "-")
		from, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		to := from
		if isRange {
			if to, err = strconv.Atoi(hi); err != nil || to < from || to-from > 1000 {
				continue
			}
		}
		for p := from; p <= to; p++ {
			out = append(out, Expose{Port: p, Line: line})
		}
	}
	return out
}
