package hook

import (
	"io"
	"strings"
)

// Width is how many columns a hook's line may use: git prefixes each line
// it relays with "remote: " (8 columns), and the pusher's terminal is
// assumed to be 80 columns wide.
const Width = 80 - len("remote: ")

// printer writes lines of at most Width bytes, remembering the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) write(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s+"\n")
	}
}

// line writes s, hard-wrapped at Width (a ref name has no spaces to break
// at).
func (p *printer) line(s string) {
	for len(s) > Width {
		p.write(s[:Width])
		s = s[Width:]
	}
	p.write(s)
}

// para writes text word-wrapped to Width, the first line indented by first
// and the others by rest; a word longer than a line is hard-wrapped.
func (p *printer) para(first, rest, text string) {
	for _, l := range Wrap(first, rest, text) {
		p.write(l)
	}
}

// Wrap word-wraps text into lines of at most Width bytes, the first
// indented by first and the others by rest; a word longer than a line is
// cut.
func Wrap(first, rest, text string) []string {
	var lines []string
	cur := first
	empty := true // cur holds only indentation
	flush := func() {
		lines = append(lines, cur)
		cur, empty = rest, true
	}
	for _, word := range strings.Fields(text) {
		for {
			sep := " "
			if empty {
				sep = ""
			}
			if len(cur)+len(sep)+len(word) <= Width {
				cur += sep + word
				empty = false
				break
			}
			if !empty {
				flush()
				continue
			}
			// The word alone does not fit: cut it.
			n := Width - len(cur)
			cur += word[:n]
			word = word[n:]
			empty = false
			flush()
		}
	}
	if !empty {
		lines = append(lines, cur)
	}
	return lines
}
