package gitref

import "fmt"

// CheckRefFormat reports the first way name breaks git's own rules for a
// full ref name (git check-ref-format without options), or nil. Git refuses
// such names before any hook runs, but `contractbot ref check` and the App
// see names that never went through git.
//
// The rules, in git's numbering: no component starts with "." or ends with
// ".lock" (1); at least one "/" (2); no ".." (3); no control character,
// space, "~", "^" or ":" (4); no "?", "*" or "[" (5); no leading, trailing or
// doubled "/" (6); no trailing "." (7); no "@{" (8); not "@" (9); no "\" (10).
func CheckRefFormat(name string) *Error {
	bad := func(i int, format string, args ...any) *Error {
		return &Error{Ref: name, Col: i + 1, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case name == "":
		return bad(-1, "empty ref name")
	case name == "@":
		return bad(0, `git forbids the ref name "@"`)
	}
	slashes := 0
	compStart := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return bad(i, "git forbids control character %q in ref names", c)
		case c == ' ':
			return bad(i, "git forbids spaces in ref names")
		case c == '~' || c == '^' || c == ':' || c == '?' || c == '*' || c == '[' || c == '\\':
			return bad(i, "git forbids %q in ref names", c)
		case c == '.' && i+1 < len(name) && name[i+1] == '.':
			return bad(i, `git forbids ".." in ref names`)
		case c == '@' && i+1 < len(name) && name[i+1] == '{':
			return bad(i, `git forbids "@{" in ref names`)
		case c == '.' && i == compStart:
			return bad(i, `git forbids a path component that starts with "."`)
		case c == '/':
			if i == compStart {
				if i == 0 {
					return bad(i, `git forbids a ref name that starts with "/"`)
				}
				return bad(i, `git forbids "//" in ref names`)
			}
			if err := checkComponentEnd(name, compStart, i); err != nil {
				return err
			}
			slashes++
			compStart = i + 1
		}
	}
	if compStart == len(name) {
		return bad(len(name)-1, `git forbids a ref name that ends with "/"`)
	}
	if err := checkComponentEnd(name, compStart, len(name)); err != nil {
		return err
	}
	if name[len(name)-1] == '.' {
		return bad(len(name)-1, `git forbids a ref name that ends with "."`)
	}
	if slashes == 0 {
		return bad(0, "not a full ref name: want refs/tags/... or refs/heads/...")
	}
	return nil
}

func checkComponentEnd(name string, start, end int) *Error {
	const lock = ".lock"
	if end-start >= len(lock) && name[end-len(lock):end] == lock {
		return &Error{Ref: name, Col: end - len(lock) + 1, Msg: `git forbids a path component that ends with ".lock"`}
	}
	return nil
}
