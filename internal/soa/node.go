package soa

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Kind is the type a YAML value has once loaded the way PaaSTA loads it
// (Python's yaml.safe_load), which decides what JSON Schema type it has.
type Kind uint8

// Kinds of values. KindOther covers values that are none of JSON's types in
// Python (dates, timestamps, binary, sets, ordered pairs): they fail every
// "type" constraint and are ignored by string and number constraints.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindMap
	KindSeq
	KindOther
)

var kindNames = [...]string{"null", "boolean", "integer", "number", "string", "object", "array", "other"}

// String returns the JSON Schema name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Node is one loaded YAML value with its position.
//
// Nodes reached through aliases are shared, not copied: a tree can be a DAG.
// The loader bounds its expanded size (see [Limits]), so walking it as a tree
// stays cheap.
type Node struct {
	Kind   Kind
	Line   int // 1-based
	Column int // 1-based
	// Text is the scalar's source text (for strings, the string itself).
	Text  string
	Bool  bool
	Int   *big.Int // KindInt
	Float float64  // KindFloat
	// Keys and Values hold a mapping's entries in order, after merges ("<<")
	// and with duplicate keys resolved as PyYAML does (the last one wins).
	Keys, Values []*Node
	// Items holds a sequence's elements.
	Items []*Node
	// Tag is the YAML tag, e.g. "!!str", "!!timestamp".
	Tag string
	// Comment is the comment at the end of a scalar's line ("# ..."),
	// which PaaSTA reads for override acknowledgements.
	Comment string
	// Dups are keys written twice in this mapping (not counting merges):
	// the later key nodes, whose values silently replaced the earlier ones.
	Dups []*Node

	size int // nodes in the expanded tree rooted here
}

// Get returns the value of the string key k in a mapping, or nil.
func (n *Node) Get(k string) *Node {
	if n == nil || n.Kind != KindMap {
		return nil
	}
	for i, key := range n.Keys {
		if key.Kind == KindString && key.Text == k {
			return n.Values[i]
		}
	}
	return nil
}

// KeyNode returns the key node of the string key k in a mapping, or nil.
func (n *Node) KeyNode(k string) *Node {
	if n == nil || n.Kind != KindMap {
		return nil
	}
	for _, key := range n.Keys {
		if key.Kind == KindString && key.Text == k {
			return key
		}
	}
	return nil
}

// Str returns a string value, and whether n is a string.
func (n *Node) Str() (string, bool) {
	if n == nil || n.Kind != KindString {
		return "", false
	}
	return n.Text, true
}

// Describe renders the value briefly for a message: strings quoted, long
// values shortened, containers by kind.
func (n *Node) Describe() string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case KindNull:
		return "null"
	case KindString:
		s := n.Text
		if utf8.RuneCountInString(s) > 40 {
			r := []rune(s)
			s = string(r[:37]) + "..."
		}
		return strconv.Quote(s)
	case KindMap:
		return "a mapping"
	case KindSeq:
		return "a list"
	case KindOther:
		return fmt.Sprintf("%s (%s)", n.Text, strings.TrimPrefix(n.Tag, "!!"))
	default:
		return n.Text
	}
}

// Limits bound the resources one file may use.
type Limits struct {
	// MaxFileBytes is the largest file read; larger files are reported.
	MaxFileBytes int64
	// MaxNodes bounds a document's size with every alias expanded.
	MaxNodes int
	// MaxFiles bounds the YAML files read per service directory.
	MaxFiles int
}

// DefaultLimits returns limits that are generous for real soa configs (the largest real files
// are a few hundred kilobytes, some ten thousand values) and keep a hostile
// tree cheap: a file costs at most about 100 MB while it is parsed.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 4 << 20, MaxNodes: 200_000, MaxFiles: 1000}
}

// SyntaxError is a file that PaaSTA could not load.
type SyntaxError struct {
	Line int // 1-based; 1 when unknown
	Msg  string
	// Limit is set when the file may be valid YAML but exceeds what
	// contractbot loads (size, values, alias expansion, recursion).
	Limit bool
	// Ruamel is set when only ruamel.yaml, which paasta validate reads
	// kubernetes and eks files with, refuses the file (see [RuamelTab]).
	Ruamel bool
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse loads one YAML document the way yaml.safe_load does. An empty
// document gives a null node. Errors are *SyntaxError.
func Parse(data []byte, lim Limits) (root *Node, err error) {
	if lim.MaxFileBytes > 0 && int64(len(data)) > lim.MaxFileBytes {
		return nil, &SyntaxError{Line: 1, Limit: true, Msg: fmt.Sprintf("file is %d bytes, more than the %d bytes contractbot reads", len(data), lim.MaxFileBytes)}
	}
	if lim.MaxNodes > 0 {
		// yaml.v3 builds its own node tree before ours exists, at some
		// 200 bytes a value; refuse documents that are clearly too big
		// before it does, so that memory stays bounded.
		if est := estimateValues(data); est > 2*lim.MaxNodes {
			return nil, &SyntaxError{Line: 1, Limit: true, Msg: fmt.Sprintf("the file has about %d values, more than the %d contractbot loads: split it", est, lim.MaxNodes)}
		}
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, &SyntaxError{Line: line, Msg: "file is not valid UTF-8"}
	}
	defer func() {
		// yaml.v3 reports some malformed input by panicking with an
		// internal error; a hostile file must not take the process down.
		if r := recover(); r != nil {
			root, err = nil, &SyntaxError{Line: 1, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	data = acceptYAMLVersions(data)
	var doc yaml.Node
	if !bytes.Contains(data, []byte("\n---")) && !bytes.Contains(data, []byte("\n...")) {
		// At most one document marker, at the very start: the faster
		// single-document path suffices.
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, yamlError(err)
		}
		return convertDoc(&doc, lim)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Node{Kind: KindNull, Line: 1, Column: 1, Text: "null", Tag: "!!null", size: 1}, nil
		}
		return nil, yamlError(err)
	}
	var second yaml.Node
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		line := second.Line
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, &SyntaxError{Line: max(line, 1), Msg: "expected a single document in the stream, found a second one"}
	}
	return convertDoc(&doc, lim)
}

func convertDoc(doc *yaml.Node, lim Limits) (*Node, error) {
	top := doc
	switch {
	case doc.Kind == 0: // empty input
		return &Node{Kind: KindNull, Line: 1, Column: 1, Text: "null", Tag: "!!null", size: 1}, nil
	case doc.Kind == yaml.DocumentNode:
		if len(doc.Content) == 0 {
			return &Node{Kind: KindNull, Line: 1, Column: 1, Text: "null", Tag: "!!null", size: 1}, nil
		}
		top = doc.Content[0]
	}
	c := converter{limit: lim.MaxNodes, done: map[*yaml.Node]*Node{}, busy: map[*yaml.Node]bool{}}
	return c.convert(top)
}

// acceptYAMLVersions rewrites "%YAML 1.x" directives to 1.1: PyYAML only
// warns about a minor version other than 1, yaml.v3 refuses it.
func acceptYAMLVersions(data []byte) []byte {
	if !bytes.Contains(data, []byte("%YAML 1.")) {
		return data
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	changed := false
	for i, l := range lines {
		rest, ok := bytes.CutPrefix(l, []byte("%YAML 1."))
		if !ok {
			continue
		}
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if end == 0 || string(rest[:end]) == "1" {
			continue
		}
		lines[i] = append([]byte("%YAML 1.1"), rest[end:]...)
		changed = true
	}
	if !changed {
		return data
	}
	return bytes.Join(lines, nil)
}

// estimateValues bounds from above, roughly, how many values a YAML
// document holds: every value but the first follows a separator.
func estimateValues(b []byte) int {
	n := 1
	for _, c := range b {
		switch c {
		case ',', ':', '-', '[', '{', '\n':
			n++
		}
	}
	return n
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// yamlError turns a yaml.v3 error ("yaml: line 3: ...") into a SyntaxError.
func yamlError(err error) *SyntaxError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &SyntaxError{Line: line, Msg: msg}
}

type converter struct {
	limit int
	done  map[*yaml.Node]*Node
	busy  map[*yaml.Node]bool
}

func (c *converter) fail(y *yaml.Node, format string, args ...any) error {
	return &SyntaxError{Line: max(y.Line, 1), Msg: fmt.Sprintf(format, args...)}
}

func (c *converter) limitErr(y *yaml.Node) error {
	return &SyntaxError{Line: max(y.Line, 1), Limit: true, Msg: fmt.Sprintf("the document has more than %d values once aliases are expanded (a YAML bomb?): split it or use fewer aliases", c.limit)}
}

func (c *converter) convert(y *yaml.Node) (*Node, error) {
	// Only anchored nodes can be reached twice (through aliases), so only
	// they are remembered, and only they can close a cycle.
	shared := y.Anchor != "" || y.Kind == yaml.AliasNode
	if shared {
		if n, ok := c.done[y]; ok {
			return n, nil
		}
		if c.busy[y] {
			e := c.fail(y, "recursive alias: the anchor %q refers to itself", y.Anchor).(*SyntaxError)
			e.Limit = true
			return nil, e
		}
		c.busy[y] = true
		defer delete(c.busy, y)
	}
	var n *Node
	var err error
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, c.fail(y, "unknown anchor %q", y.Value)
		}
		n, err = c.convert(y.Alias)
	case yaml.ScalarNode:
		n, err = c.scalar(y)
	case yaml.SequenceNode:
		n, err = c.sequence(y)
	case yaml.MappingNode:
		n, err = c.mapping(y)
	case yaml.DocumentNode:
		return nil, c.fail(y, "nested document")
	default:
		return nil, c.fail(y, "unexpected YAML node")
	}
	if err != nil {
		return nil, err
	}
	if c.limit > 0 && n.size > c.limit {
		return nil, c.limitErr(y)
	}
	if shared {
		c.done[y] = n
	}
	return n, nil
}

func (c *converter) sequence(y *yaml.Node) (*Node, error) {
	n := &Node{Kind: KindSeq, Line: y.Line, Column: y.Column, Tag: "!!seq", size: 1}
	switch {
	case y.Style&yaml.TaggedStyle == 0 || y.Tag == "!!seq":
	case y.Tag == "!!omap" || y.Tag == "!!pairs":
		n.Kind, n.Text = KindOther, "ordered pairs"
		n.Tag = y.Tag
	default:
		return nil, c.fail(y, "could not determine a constructor for the tag %q", y.Tag)
	}
	n.Items = make([]*Node, 0, len(y.Content))
	for _, e := range y.Content {
		v, err := c.convert(e)
		if err != nil {
			return nil, err
		}
		n.Items = append(n.Items, v)
		if err := c.grow(n, v.size, y); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (c *converter) grow(n *Node, by int, y *yaml.Node) error {
	n.size += by
	if c.limit > 0 && n.size > c.limit {
		return c.limitErr(y)
	}
	return nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || (k.Style&yaml.TaggedStyle == 0 && k.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0))
}

func (c *converter) mapping(y *yaml.Node) (*Node, error) {
	n := &Node{Kind: KindMap, Line: y.Line, Column: y.Column, Tag: "!!map", size: 1}
	switch {
	case y.Style&yaml.TaggedStyle == 0 || y.Tag == "!!map":
	case y.Tag == "!!set":
		n.Kind, n.Text, n.Tag = KindOther, "set", "!!set"
	default:
		return nil, c.fail(y, "could not determine a constructor for the tag %q", y.Tag)
	}
	// PyYAML's flatten_mapping: merged entries come first (the first merged
	// mapping winning over later ones), then the mapping's own entries;
	// when a key repeats, the later entry's value wins in the first
	// entry's position.
	var merged []*Node // key, value pairs
	var own []*Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		ky, vy := y.Content[i], y.Content[i+1]
		if isMergeKey(ky) {
			pairs, err := c.mergeSource(vy)
			if err != nil {
				return nil, err
			}
			merged = append(merged, pairs...)
			continue
		}
		k, err := c.convert(ky)
		if err != nil {
			return nil, err
		}
		if k.Kind == KindMap || k.Kind == KindSeq {
			return nil, c.fail(ky, "found unhashable key (a mapping or list used as a key)")
		}
		v, err := c.convert(vy)
		if err != nil {
			return nil, err
		}
		own = append(own, k, v)
	}
	index := map[string]int{}
	add := func(k, v *Node) error {
		id := k.hashKey()
		if i, ok := index[id]; ok {
			if err := c.grow(n, v.size-n.Values[i].size, y); err != nil {
				return err
			}
			n.Values[i] = v
			return nil
		}
		index[id] = len(n.Keys)
		n.Keys = append(n.Keys, k)
		n.Values = append(n.Values, v)
		return c.grow(n, k.size+v.size, y)
	}
	for i := 0; i < len(merged); i += 2 {
		if err := add(merged[i], merged[i+1]); err != nil {
			return nil, err
		}
	}
	ownSeen := map[string]bool{}
	for i := 0; i < len(own); i += 2 {
		if id := own[i].hashKey(); ownSeen[id] {
			n.Dups = append(n.Dups, own[i])
		} else {
			ownSeen[id] = true
		}
		if err := add(own[i], own[i+1]); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// mergeSource returns the key/value pairs a "<<" value contributes, in the
// order PyYAML applies them (later pairs override earlier ones).
func (c *converter) mergeSource(vy *yaml.Node) ([]*Node, error) {
	target := vy
	for target.Kind == yaml.AliasNode && target.Alias != nil {
		target = target.Alias
	}
	switch target.Kind {
	case yaml.MappingNode:
		m, err := c.convert(vy)
		if err != nil {
			return nil, err
		}
		if m.Kind != KindMap {
			return nil, c.fail(vy, "expected a mapping for merging")
		}
		return m.pairs(), nil
	case yaml.SequenceNode:
		var out []*Node
		// The first mapping of the list wins, so apply them in reverse.
		for i := len(target.Content) - 1; i >= 0; i-- {
			e := target.Content[i]
			t := e
			for t.Kind == yaml.AliasNode && t.Alias != nil {
				t = t.Alias
			}
			if t.Kind != yaml.MappingNode {
				return nil, c.fail(e, "expected a mapping for merging, found %s", kindOfYAML(t))
			}
			m, err := c.convert(e)
			if err != nil {
				return nil, err
			}
			if m.Kind != KindMap {
				return nil, c.fail(e, "expected a mapping for merging")
			}
			out = append(out, m.pairs()...)
		}
		return out, nil
	default:
		return nil, c.fail(vy, "expected a mapping or list of mappings for merging, found %s", kindOfYAML(target))
	}
}

func kindOfYAML(y *yaml.Node) string {
	switch y.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a scalar"
	}
}

func (n *Node) pairs() []*Node {
	out := make([]*Node, 0, 2*len(n.Keys))
	for i := range n.Keys {
		out = append(out, n.Keys[i], n.Values[i])
	}
	return out
}

// hashKey identifies a key the way a Python dict does, closely enough for
// YAML keys: 1, 1.0 and true are the same key; "1" is not.
func (n *Node) hashKey() string {
	switch n.Kind {
	case KindString:
		return "s" + n.Text
	case KindNull:
		return "n"
	case KindBool:
		if n.Bool {
			return "i1"
		}
		return "i0"
	case KindInt:
		return "i" + n.Int.String()
	case KindFloat:
		if f := n.Float; f == float64(int64(f)) {
			return "i" + strconv.FormatInt(int64(f), 10)
		}
		return "f" + strconv.FormatFloat(n.Float, 'g', -1, 64)
	default:
		return "o" + n.Tag + n.Text
	}
}
