package soa

import (
	"bytes"
	"strings"
)

// PaaSTA reads its files with two YAML loaders. yaml.safe_load with
// PyYAML's C loader (libyaml) reads most of them; `paasta validate` loads
// kubernetes and eks files with ruamel.yaml's round-trip loader instead,
// because it needs their comments (the override-cpu-setting
// acknowledgements), and a file ruamel cannot load makes validate fail
// ("Failed to read file", then a traceback). The two disagree on tabs:
// libyaml skips a tab wherever it looks for the next token, while ruamel's
// pure-Python scanner, like PyYAML's, skips only spaces, so `main:<TAB>#
// comment` or `cpus: 1<TAB>` loads with one and raises with the other.
// yaml.v3 follows libyaml, so the files ruamel reads get a second look.

// RuamelReads reports whether `paasta validate` loads the file rel
// (relative to the service directory) with ruamel.yaml: validate_schema
// does for every file whose schema type is kubernetes or eks, which it
// matches as a prefix of rel, so "kubernetes-x.yaml" but not
// "autotuned_defaults/kubernetes-x.yaml".
func RuamelReads(rel string) bool {
	return strings.HasSuffix(rel, ".yaml") && (strings.HasPrefix(rel, "kubernetes") || strings.HasPrefix(rel, "eks"))
}

// RuamelTab finds the first tab that the pure-Python scanner of ruamel.yaml
// (and PyYAML) refuses in a document libyaml loads: a tab anywhere outside
// a quoted scalar, a block scalar's content and a comment. It returns the
// tab's 1-based line and column, or 0, 0 when there is none.
//
// It is a line scanner, not a YAML parser: it assumes the document is one
// libyaml loads. Where it cannot tell (a block scalar's indentation, a
// quote inside a multi-line plain scalar) it treats the tab as accepted:
// a missed tab leaves a file as contractbot read it before, a false one
// would fail a build PaaSTA passes.
func RuamelTab(data []byte) (line, col int) {
	if bytes.IndexByte(data, '\t') < 0 {
		return 0, 0
	}
	var (
		quote      byte // ' or " while inside a quoted scalar
		flow       int  // depth of [ and {
		block      bool // the previous line opened a block scalar
		blockOwner = -1 // indentation of the line that opened it
		content    = -1 // indentation of the block scalar's content
	)
	lines := bytes.Split(data, []byte("\n"))
	for n, l := range lines {
		l = bytes.TrimSuffix(l, []byte("\r"))
		indent := 0
		for indent < len(l) && l[indent] == ' ' {
			indent++
		}
		if content >= 0 || block {
			blank := len(bytes.Trim(l, " \t")) == 0
			switch {
			case blank:
				continue // inside or at the end of the block: unsure, accept
			case block && indent > blockOwner:
				content, block = indent, false
				continue
			case content >= 0 && indent >= content:
				continue
			}
			content, block = -1, false
		}
		plain := false
		for i := 0; i < len(l); i++ {
			c := l[i]
			if quote != 0 {
				switch {
				case quote == '"' && c == '\\':
					i++
				case c == quote && quote == '\'' && i+1 < len(l) && l[i+1] == '\'':
					i++
				case c == quote:
					quote = 0
				}
				continue
			}
			spaceAfter := i+1 == len(l) || l[i+1] == ' ' || l[i+1] == '\t'
			switch {
			case c == '\t':
				return n + 1, i + 1
			case c == ' ':
			case c == '#' && (i == 0 || l[i-1] == ' '):
				i = len(l)
			case plain:
				switch {
				case c == ':' && (spaceAfter || flow > 0 && strings.IndexByte(",[]{}", l[i+1]) >= 0):
					plain = false
				case flow > 0 && strings.IndexByte(",[]{}", c) >= 0:
					plain = false
					flow += flowDelta(c)
				}
			case c == '\'' || c == '"':
				quote = c
			case strings.IndexByte("[]{},", c) >= 0:
				flow = max(0, flow+flowDelta(c))
			case (c == '-' || c == '?' || c == ':') && spaceAfter:
			case (c == '|' || c == '>') && flow == 0:
				// A block scalar: its header runs to the comment or the
				// end of the line; its content starts on the next line.
				block, blockOwner = true, indent
				for i+1 < len(l) && strings.IndexByte("+-0123456789", l[i+1]) >= 0 {
					i++
				}
			case c == '&' || c == '!' || c == '*':
				for i+1 < len(l) && l[i+1] != ' ' && l[i+1] != '\t' {
					i++
				}
			case c == '%' && i == 0:
				i = len(l) // a directive
			default:
				plain = true
			}
		}
	}
	return 0, 0
}

func flowDelta(c byte) int {
	switch c {
	case '[', '{':
		return 1
	case ']', '}':
		return -1
	}
	return 0
}
