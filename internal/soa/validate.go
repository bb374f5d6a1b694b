package soa

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/suggest"
)

// Violation is one way a document breaks its schema.
type Violation struct {
	// Line is where the offending key (or value, in a list) is.
	Line int
	// Path names the value, dot-separated from the document root
	// ("main.healthcheck_mode", "pipeline[2].step"); "" is the root.
	Path string
	// Message says what was expected and what was found, naming the key.
	Message string
	// Keyword is the draft-04 keyword that failed, where a rule needs to
	// know it ("minimum", "maximum", "required"); "" otherwise.
	Keyword string
	// Missing is the absent key of a "required" violation.
	Missing string
}

func (v Violation) String() string { return fmt.Sprintf("line %d: %s", v.Line, v.Message) }

// Validate checks a document against a schema with JSON Schema draft-04
// semantics (as Python's jsonschema.Draft4Validator applies them to what
// yaml.safe_load returns) and returns every violation, in document order.
func Validate(s *Schema, root *Node) []Violation {
	var out []Violation
	validate(s, root, "", root.lineOr(1), &out)
	// One finding per offending value: a value that breaks both a
	// property's enum and a oneOf branch's narrower enum is reported once,
	// with the first (the property's own) message.
	type at struct {
		line int
		path string
	}
	seen := map[at]bool{}
	kept := out[:0]
	for _, v := range out {
		if !seen[at{v.Line, v.Path}] {
			seen[at{v.Line, v.Path}] = true
			kept = append(kept, v)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Line < kept[j].Line })
	return kept
}

// Valid reports whether a document satisfies a schema.
func Valid(s *Schema, root *Node) bool {
	var out []Violation
	validate(s, root, "", 1, &out)
	return len(out) == 0
}

func (n *Node) lineOr(d int) int {
	if n == nil || n.Line < 1 {
		return d
	}
	return n.Line
}

func label(p string) string {
	if p == "" {
		return "the file"
	}
	return p
}

func joinKey(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func add(out *[]Violation, line int, p, format string, args ...any) {
	*out = append(*out, Violation{Line: line, Path: p, Message: fmt.Sprintf(format, args...)})
}

// validate appends the violations of n against s; line is where a finding
// about n as a whole points (its key's line when n is a mapping value).
func validate(s *Schema, n *Node, p string, line int, out *[]Violation) {
	for s.Ref != nil {
		s = s.Ref
	}
	if s.Never {
		add(out, line, p, "%s is not allowed here", label(p))
		return
	}
	if len(s.Types) > 0 && !typeMatches(s.Types, n) {
		add(out, line, p, "%s must be %s, found %s", label(p), typeList(s.Types), describeTyped(n))
		// Like jsonschema, keep checking: the other keywords mostly
		// ignore a value of the wrong type.
	}
	if s.HasEnum && !enumContains(s.Enum, n) {
		add(out, line, p, "%s must be one of %s, found %s", label(p), enumList(s.Enum), n.Describe())
	}
	switch n.Kind {
	case KindString:
		validateString(s, n, p, line, out)
	case KindInt, KindFloat:
		validateNumber(s, n, p, line, out)
	case KindMap:
		validateMap(s, n, p, line, out)
	case KindSeq:
		validateSeq(s, n, p, line, out)
	}
	for _, sub := range s.AllOf {
		validate(sub, n, p, line, out)
	}
	if len(s.AnyOf) > 0 {
		best, ok := bestBranch(s.AnyOf, n, p, line)
		if !ok {
			*out = append(*out, best...)
		}
	}
	if len(s.OneOf) > 0 {
		validOnes := 0
		var fewest []Violation
		fewestFits := false
		for _, sub := range s.OneOf {
			var errs []Violation
			validate(sub, n, p, line, &errs)
			if len(errs) == 0 {
				validOnes++
			} else if fits := discriminates(sub, n); better(errs, fits, fewest, fewestFits) {
				fewest, fewestFits = errs, fits
			}
		}
		switch {
		case validOnes == 0:
			*out = append(*out, fewest...)
		case validOnes > 1:
			add(out, line, p, "%s matches more than one of the allowed forms; %s", label(p), oneOfHint(s.OneOf, n))
		}
	}
	if s.Not != nil {
		var errs []Violation
		validate(s.Not, n, p, line, &errs)
		if len(errs) == 0 {
			add(out, line, p, "%s must not %s", label(p), notHint(s.Not))
		}
	}
}

func bestBranch(branches []*Schema, n *Node, p string, line int) ([]Violation, bool) {
	var best []Violation
	bestFits := false
	for _, sub := range branches {
		var errs []Violation
		validate(sub, n, p, line, &errs)
		if len(errs) == 0 {
			return nil, true
		}
		if better(errs, discriminates(sub, n), best, bestFits) {
			best, bestFits = errs, discriminates(sub, n)
		}
	}
	return best, false
}

// better decides which failing branch of a oneOf/anyOf explains a failure
// best: one whose enum-valued keys the document matches (the branch the
// author evidently meant, as healthcheck_mode: cmd means the cmd branch),
// then the one with fewer violations.
func better(errs []Violation, fits bool, best []Violation, bestFits bool) bool {
	switch {
	case best == nil:
		return true
	case fits != bestFits:
		return fits
	}
	return len(errs) < len(best)
}

// discriminates reports whether every key of n that s constrains to an
// enum has one of its values.
func discriminates(s *Schema, n *Node) bool {
	for s.Ref != nil {
		s = s.Ref
	}
	if n.Kind != KindMap {
		return false
	}
	hit := false
	for k, ps := range s.Properties {
		for ps.Ref != nil {
			ps = ps.Ref
		}
		if v := n.Get(k); v != nil && ps.HasEnum {
			if !enumContains(ps.Enum, v) {
				return false
			}
			hit = true
		}
	}
	return hit
}

// oneOfHint explains the usual way a value matches several oneOf branches:
// a key that only means something together with another one.
func oneOfHint(branches []*Schema, n *Node) string {
	for _, b := range branches {
		for _, r := range b.Required {
			if n.Get(r) != nil {
				for k, ps := range b.Properties {
					if k != r && ps.HasEnum && n.Get(k) == nil {
						return fmt.Sprintf("%s only goes with %s: %s", r, k, enumList(ps.Enum))
					}
				}
			}
		}
	}
	return "remove the keys that make it ambiguous"
}

func notHint(s *Schema) string {
	for s.Ref != nil {
		s = s.Ref
	}
	if len(s.Required) > 0 && len(s.Types) == 0 && len(s.Properties) == 0 {
		return "set all of " + strings.Join(s.Required, " and ") + " (use one of them)"
	}
	return "match the excluded form"
}

func typeMatches(types []string, n *Node) bool {
	for _, t := range types {
		switch t {
		case "any":
			return true
		case "null":
			if n.Kind == KindNull {
				return true
			}
		case "boolean":
			if n.Kind == KindBool {
				return true
			}
		case "integer":
			if n.Kind == KindInt {
				return true
			}
		case "number":
			if n.Kind == KindInt || n.Kind == KindFloat {
				return true
			}
		case "string":
			if n.Kind == KindString {
				return true
			}
		case "object":
			if n.Kind == KindMap {
				return true
			}
		case "array":
			if n.Kind == KindSeq {
				return true
			}
		}
	}
	return false
}

func typeList(types []string) string {
	words := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "object":
			words[i] = "a mapping"
		case "array":
			words[i] = "a list"
		case "integer":
			words[i] = "an integer"
		case "null":
			words[i] = "null"
		default:
			words[i] = "a " + t
		}
	}
	return strings.Join(words, " or ")
}

func describeTyped(n *Node) string {
	switch n.Kind {
	case KindMap, KindSeq, KindNull:
		return n.Describe()
	case KindString:
		return "the string " + n.Describe()
	case KindBool:
		return "the boolean " + n.Text
	case KindInt:
		return "the integer " + n.Text
	case KindFloat:
		return "the number " + n.Text
	default:
		return n.Describe()
	}
}

func enumList(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case string:
			parts[i] = strconv.Quote(x)
		case nil:
			parts[i] = "null"
		default:
			b, _ := json.Marshal(x)
			parts[i] = string(b)
		}
	}
	return strings.Join(parts, ", ")
}

func enumContains(vals []any, n *Node) bool {
	for _, v := range vals {
		if jsonEqual(v, n) {
			return true
		}
	}
	return false
}

// jsonEqual compares a schema value with a document value as jsonschema's
// equal() does: booleans are not numbers, 1 equals 1.0.
func jsonEqual(v any, n *Node) bool {
	switch x := v.(type) {
	case nil:
		return n.Kind == KindNull
	case bool:
		return n.Kind == KindBool && n.Bool == x
	case string:
		return n.Kind == KindString && n.Text == x
	case json.Number:
		f, _, err := big.ParseFloat(string(x), 10, 200, big.ToNearestEven)
		if err != nil {
			return false
		}
		nf, ok := n.bigFloat()
		return ok && nf.Cmp(f) == 0
	case []any:
		if n.Kind != KindSeq || len(n.Items) != len(x) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], n.Items[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		if n.Kind != KindMap || len(n.Keys) != len(x) {
			return false
		}
		for k, xv := range x {
			nv := n.Get(k)
			if nv == nil || !jsonEqual(xv, nv) {
				return false
			}
		}
		return true
	}
	return false
}

// bigFloat returns a number's exact value; NaN and infinities are not
// representable and report false.
func (n *Node) bigFloat() (*big.Float, bool) {
	switch n.Kind {
	case KindInt:
		return new(big.Float).SetInt(n.Int), true
	case KindFloat:
		if math.IsNaN(n.Float) || math.IsInf(n.Float, 0) {
			return nil, false
		}
		return new(big.Float).SetFloat64(n.Float), true
	}
	return nil, false
}

func validateString(s *Schema, n *Node, p string, line int, out *[]Violation) {
	if s.MinLength != nil || s.MaxLength != nil {
		l := utf8.RuneCountInString(n.Text)
		if s.MinLength != nil && l < *s.MinLength {
			add(out, line, p, "%s must be at least %d characters long, found %s (%d)", label(p), *s.MinLength, n.Describe(), l)
		}
		if s.MaxLength != nil && l > *s.MaxLength {
			add(out, line, p, "%s must be at most %d characters long, found %s (%d)", label(p), *s.MaxLength, n.Describe(), l)
		}
	}
	if s.Pattern != nil && !s.Pattern.MatchString(n.Text) {
		add(out, line, p, "%s must match the pattern %s, found %s", label(p), s.PatternText, n.Describe())
	}
}

func validateNumber(s *Schema, n *Node, p string, line int, out *[]Violation) {
	if s.Minimum == nil && s.Maximum == nil && s.MultipleOf == nil {
		return
	}
	if n.Kind == KindFloat && n.Float != n.Float {
		return // NaN compares false with everything, so it passes
	}
	cmpTo := func(b *big.Float) int {
		if n.Kind == KindFloat && math.IsInf(n.Float, 0) {
			if n.Float > 0 {
				return 1
			}
			return -1
		}
		f, _ := n.bigFloat()
		return f.Cmp(b)
	}
	if s.Minimum != nil {
		c := cmpTo(s.Minimum)
		if c < 0 || (s.ExclusiveMinimum && c == 0) {
			op := ">="
			if s.ExclusiveMinimum {
				op = ">"
			}
			add(out, line, p, "%s must be %s %s, found %s", label(p), op, s.Minimum.Text('g', -1), n.Text)
			(*out)[len(*out)-1].Keyword = "minimum"
		}
	}
	if s.Maximum != nil {
		c := cmpTo(s.Maximum)
		if c > 0 || (s.ExclusiveMaximum && c == 0) {
			op := "<="
			if s.ExclusiveMaximum {
				op = "<"
			}
			add(out, line, p, "%s must be %s %s, found %s", label(p), op, s.Maximum.Text('g', -1), n.Text)
			(*out)[len(*out)-1].Keyword = "maximum"
		}
	}
	if s.MultipleOf != nil {
		f, ok := n.bigFloat()
		if ok {
			q := new(big.Float).Quo(f, s.MultipleOf)
			if !q.IsInt() {
				add(out, line, p, "%s must be a multiple of %s, found %s", label(p), s.MultipleOf.Text('g', -1), n.Text)
			}
		}
	}
}

func validateMap(s *Schema, n *Node, p string, line int, out *[]Violation) {
	if s.MinProperties != nil && len(n.Keys) < *s.MinProperties {
		if len(n.Keys) == 0 {
			add(out, line, p, "%s must not be empty (at least %d key)", label(p), *s.MinProperties)
		} else {
			add(out, line, p, "%s must have at least %d keys, found %d", label(p), *s.MinProperties, len(n.Keys))
		}
	}
	if s.MaxProperties != nil && len(n.Keys) > *s.MaxProperties {
		add(out, line, p, "%s must have at most %d keys, found %d", label(p), *s.MaxProperties, len(n.Keys))
	}
	for _, r := range s.Required {
		if n.KeyNode(r) == nil {
			add(out, line, p, "%s is missing the required key %q", label(p), r)
			(*out)[len(*out)-1].Keyword, (*out)[len(*out)-1].Missing = "required", r
		}
	}
	for _, dk := range sortedKeys(s.Dependencies) {
		dep := s.Dependencies[dk]
		kn := n.KeyNode(dk)
		if kn == nil {
			continue
		}
		if dep.Schema != nil {
			validate(dep.Schema, n, p, line, out)
			continue
		}
		for _, need := range dep.Keys {
			if n.KeyNode(need) == nil {
				add(out, kn.Line, joinKey(p, dk), "%s needs %q to be set as well", joinKey(p, dk), need)
			}
		}
	}
	checkKeys := len(s.Properties) > 0 || len(s.PatternProperties) > 0 || s.NoAdditional || s.AdditionalProperties != nil
	if !checkKeys {
		return
	}
	for i, k := range n.Keys {
		v := n.Values[i]
		if k.Kind != KindString {
			// jsonschema matches property names only against strings
			// (and crashes on a pattern match), so such a key can only
			// be an error where keys are constrained.
			if s.NoAdditional || s.AdditionalProperties != nil || len(s.PatternProperties) > 0 {
				add(out, k.Line, p, "%s: the key %s must be a string (quote it)", label(p), k.Text)
			}
			continue
		}
		kp := joinKey(p, k.Text)
		matched := false
		if ps, ok := s.Properties[k.Text]; ok {
			matched = true
			validate(ps, v, kp, k.Line, out)
		}
		for _, pp := range s.PatternProperties {
			if pp.Re.MatchString(k.Text) {
				matched = true
				validate(pp.Schema, v, kp, k.Line, out)
			}
		}
		if matched {
			continue
		}
		switch {
		case s.NoAdditional:
			add(out, k.Line, kp, "%s", unknownKeyMessage(s, p, k.Text))
		case s.AdditionalProperties != nil:
			validate(s.AdditionalProperties, v, kp, k.Line, out)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unknownKeyMessage(s *Schema, p, key string) string {
	where := "in " + label(p)
	if p == "" {
		where = "at the top of the file"
	}
	if len(s.Properties) == 0 && len(s.PatternProperties) > 0 {
		pats := make([]string, len(s.PatternProperties))
		for i, pp := range s.PatternProperties {
			pats[i] = pp.Text
		}
		return fmt.Sprintf("the key %q %s is not allowed: keys must match %s", key, where, strings.Join(pats, " or "))
	}
	msg := fmt.Sprintf("the key %q %s is not allowed", key, where)
	if best := closest(key, s.PropertyOrder); best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	} else if len(s.PropertyOrder) <= 12 {
		msg += "; allowed keys: " + strings.Join(s.PropertyOrder, ", ")
	}
	return msg
}

// closest returns the allowed key nearest to key by edit distance, if it
// is near enough to be a likely typo.
func closest(key string, allowed []string) string {
	best, _ := suggest.Closest(key, allowed)
	return best
}

func validateSeq(s *Schema, n *Node, p string, line int, out *[]Violation) {
	if s.MinItems != nil && len(n.Items) < *s.MinItems {
		add(out, line, p, "%s must have at least %d items, found %d", label(p), *s.MinItems, len(n.Items))
	}
	if s.MaxItems != nil && len(n.Items) > *s.MaxItems {
		add(out, line, p, "%s must have at most %d items, found %d", label(p), *s.MaxItems, len(n.Items))
	}
	for i, it := range n.Items {
		ip := fmt.Sprintf("%s[%d]", p, i)
		switch {
		case s.Items != nil:
			validate(s.Items, it, ip, it.lineOr(line), out)
		case s.ItemsList != nil:
			switch {
			case i < len(s.ItemsList):
				validate(s.ItemsList[i], it, ip, it.lineOr(line), out)
			case s.NoAdditionalItems:
				add(out, it.lineOr(line), ip, "%s: at most %d items are allowed", label(p), len(s.ItemsList))
			case s.AdditionalItems != nil:
				validate(s.AdditionalItems, it, ip, it.lineOr(line), out)
			}
		}
	}
	if s.UniqueItems {
		// Compare canonical forms through a map: pairwise comparison is
		// quadratic, and a hostile list can hold many thousand items.
		seen := make(map[string]bool, len(n.Items))
		for _, it := range n.Items {
			k := canonical(it)
			if seen[k] {
				add(out, it.lineOr(line), p, "%s must not repeat items: %s appears twice", label(p), it.Describe())
				break
			}
			seen[k] = true
		}
	}
}

// canonical renders a value so that two values have the same rendering
// exactly when jsonschema's equal() holds between them: booleans differ
// from numbers, 1 equals 1.0, mappings ignore key order, NaN equals
// nothing.
func canonical(n *Node) string {
	var b strings.Builder
	writeCanonical(&b, n)
	return b.String()
}

func writeCanonical(b *strings.Builder, n *Node) {
	switch n.Kind {
	case KindNull:
		b.WriteString("n")
	case KindBool:
		if n.Bool {
			b.WriteString("b1")
		} else {
			b.WriteString("b0")
		}
	case KindInt:
		b.WriteString("i")
		b.WriteString(n.Int.String())
	case KindFloat:
		switch f := n.Float; {
		case math.IsNaN(f):
			fmt.Fprintf(b, "nan%p", n)
		case !math.IsInf(f, 0) && f == math.Trunc(f):
			bf, _ := new(big.Float).SetFloat64(f).Int(nil)
			b.WriteString("i")
			b.WriteString(bf.String())
		default:
			b.WriteString("f")
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case KindString:
		fmt.Fprintf(b, "s%d:%s", len(n.Text), n.Text)
	case KindSeq:
		b.WriteString("[")
		for _, it := range n.Items {
			writeCanonical(b, it)
			b.WriteString(",")
		}
		b.WriteString("]")
	case KindMap:
		entries := make([]string, len(n.Keys))
		for i, k := range n.Keys {
			entries[i] = canonical(k) + "=" + canonical(n.Values[i])
		}
		sort.Strings(entries)
		b.WriteString("{")
		for _, e := range entries {
			fmt.Fprintf(b, "%d:%s,", len(e), e)
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "o%s:%d:%s", n.Tag, len(n.Text), n.Text)
	}
}
