package githubfake

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Git object types, as in the object header and the Trees API "type".
const (
	typeBlob   = "blob"
	typeTree   = "tree"
	typeCommit = "commit"
)

// object is one git object: its type, its raw content (what follows the
// "<type> <len>\x00" header) and, for trees, the parsed entries.
type object struct {
	typ     string
	data    []byte
	entries []treeEntry // trees only, in git order
	tree    string      // commits only: the root tree
}

// treeEntry is one entry of a tree object.
type treeEntry struct {
	mode string // "100644", "100755", "120000", "40000", "160000"
	name string
	sha  string
}

func (e treeEntry) typ() string {
	switch e.mode {
	case "40000":
		return typeTree
	case "160000":
		return typeCommit
	default:
		return typeBlob
	}
}

// hashObject returns the object id git computes: SHA-1 over
// "<type> <len>\x00<content>" (git hash-object -t <type>).
func hashObject(typ string, data []byte) string {
	h := sha1.New()
	h.Write([]byte(typ + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// encodeTree renders entries as a git tree object: each entry is
// "<mode> <name>\x00" followed by the 20 raw bytes of its id, sorted as git
// sorts them (a directory compares as if its name ended in "/").
func encodeTree(entries []treeEntry) ([]byte, []treeEntry) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b treeEntry) int { return strings.Compare(sortKey(a), sortKey(b)) })
	var b []byte
	for _, e := range sorted {
		raw, err := hex.DecodeString(e.sha)
		if err != nil || len(raw) != sha1.Size {
			panic(fmt.Sprintf("githubfake: bad object id %q", e.sha)) // internal invariant, never input
		}
		b = append(b, e.mode...)
		b = append(b, ' ')
		b = append(b, e.name...)
		b = append(b, 0)
		b = append(b, raw...)
	}
	return b, sorted
}

func sortKey(e treeEntry) string {
	if e.mode == "40000" {
		return e.name + "/"
	}
	return e.name
}

// store holds one repository's objects by id.
type store map[string]*object

// addBlob stores content as a blob and returns its id.
func (s store) addBlob(content []byte) string {
	id := hashObject(typeBlob, content)
	if _, ok := s[id]; !ok {
		s[id] = &object{typ: typeBlob, data: content}
	}
	return id
}

// File is one file of a commit made with [Server.PushFiles].
type File struct {
	Path    string
	Content string
	// Mode is the git file mode: "100644" (the default), "100755" for an
	// executable or "120000" for a symbolic link whose target is Content.
	Mode string
}

// addTree stores the blobs and nested trees for files and returns the root
// tree id.
func (s store) addTree(files []File) (string, error) {
	entries := make(map[string]treeEntry, len(files))
	for _, f := range files {
		if f.Path == "" || strings.HasPrefix(f.Path, "/") || strings.HasSuffix(f.Path, "/") ||
			slices.Contains(strings.Split(f.Path, "/"), "") || slices.Contains(strings.Split(f.Path, "/"), "..") ||
			slices.Contains(strings.Split(f.Path, "/"), ".") || slices.Contains(strings.Split(f.Path, "/"), ".git") {
			return "", fmt.Errorf("githubfake: bad path %q", f.Path)
		}
		mode := f.Mode
		switch mode {
		case "":
			mode = "100644"
		case "100644", "100755", "120000":
		default:
			return "", fmt.Errorf("githubfake: %s: unsupported mode %q", f.Path, f.Mode)
		}
		entries[f.Path] = treeEntry{mode: mode, name: f.Path[strings.LastIndex(f.Path, "/")+1:], sha: s.addBlob([]byte(f.Content))}
	}
	id, err := s.addEntries(entries)
	if err != nil {
		return "", fmt.Errorf("githubfake: %w", err)
	}
	return id, nil
}

// Signature is the author and committer of the fake's commits.
const (
	commitAuthor = "contractbot fake <fake@contractbot.invalid>"
)

// addCommit stores a commit object and returns its id. The text is exactly
// what `git commit` writes, so the same files, parent, identity, time and
// message give the same id as real git.
func (s store) addCommit(tree, parent string, unix int64, message string) string {
	var b strings.Builder
	b.WriteString("tree " + tree + "\n")
	if parent != "" {
		b.WriteString("parent " + parent + "\n")
	}
	ts := strconv.FormatInt(unix, 10) + " +0000"
	b.WriteString("author " + commitAuthor + " " + ts + "\n")
	b.WriteString("committer " + commitAuthor + " " + ts + "\n")
	b.WriteString("\n" + message)
	if !strings.HasSuffix(message, "\n") {
		b.WriteString("\n")
	}
	data := []byte(b.String())
	id := hashObject(typeCommit, data)
	s[id] = &object{typ: typeCommit, data: data, tree: tree}
	return id
}

// walkTree lists the entries under tree id, recursively when recursive,
// with paths relative to it, in the order GitHub returns them (pre-order,
// git order within a tree).
func (s store) walkTree(id, prefix string, recursive bool, visit func(path string, e treeEntry)) {
	t := s[id]
	if t == nil || t.typ != typeTree {
		return
	}
	for _, e := range t.entries {
		p := prefix + e.name
		visit(p, e)
		if recursive && e.mode == "40000" {
			s.walkTree(e.sha, p+"/", true, visit)
		}
	}
}
