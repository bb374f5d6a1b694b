package soa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Schema is a compiled JSON Schema (draft-04) node. Only the keywords that
// change validity are kept; annotations (description, default, ...) are
// dropped.
type Schema struct {
	Types   []string // empty: any type
	Enum    []any    // JSON values (nil, bool, json.Number, string, []any, map[string]any)
	HasEnum bool

	Pattern     *regexp.Regexp
	PatternText string
	MinLength   *int
	MaxLength   *int
	Format      string

	Minimum, Maximum                   *big.Float
	ExclusiveMinimum, ExclusiveMaximum bool
	MultipleOf                         *big.Float

	Properties           map[string]*Schema
	PropertyOrder        []string
	PatternProperties    []PatternProperty
	AdditionalProperties *Schema // nil: anything allowed
	NoAdditional         bool    // additionalProperties: false
	Required             []string
	MinProperties        *int
	MaxProperties        *int
	Dependencies         map[string]Dependency

	Items              *Schema   // items as one schema
	ItemsList          []*Schema // items as a list (tuple validation)
	AdditionalItems    *Schema
	NoAdditionalItems  bool
	MinItems, MaxItems *int
	UniqueItems        bool

	AllOf, AnyOf, OneOf []*Schema
	Not                 *Schema

	// Ref is the resolved target of a "$ref"; in draft-04 a schema with a
	// "$ref" is nothing but the reference.
	Ref     *Schema
	RefText string

	// Never is the boolean schema false (nothing is valid).
	Never bool
}

// PatternProperty is one entry of patternProperties.
type PatternProperty struct {
	Text   string
	Re     *regexp.Regexp
	Schema *Schema
}

// Dependency is one entry of dependencies: either required keys or a schema.
type Dependency struct {
	Keys   []string
	Schema *Schema
}

// Schemas maps a PaaSTA schema type ("kubernetes", "autotuned_defaults/
// kubernetes", ...) to its root schema.
type Schemas map[string]*Schema

// schemaTypes are the file types `paasta validate` checks, in its order.
// A file is checked against every type that its path relative to the
// service directory starts with (a plain prefix match, as upstream).
var schemaTypes = []string{
	"service", "adhoc", "kubernetes", "rollback", "tron", "eks", "smartstack",
	"autotuned_defaults/kubernetes", "autotuned_defaults/cassandracluster",
}

// SchemaTypesFor returns the schema types that apply to a file, given its
// path relative to the service directory.
func SchemaTypesFor(rel string) []string {
	var out []string
	for _, t := range schemaTypes {
		if strings.HasPrefix(rel, t) {
			out = append(out, t)
		}
	}
	return out
}

// LoadSchemas reads PaaSTA's JSON schemas from a directory laid out like
// paasta_tools/cli/schemas: <type>_schema.json, autotuned_defaults/
// <type>_schema.json, and autoscaling_schema.json for the shared
// fragments. Types without a file are simply absent from the result.
func LoadSchemas(fsys fs.FS) (Schemas, error) {
	docs := map[string]any{}
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, "_schema.json") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		docs[p] = doc
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading PaaSTA schemas: %w", err)
	}
	c := newCompiler()
	for _, p := range names {
		c.addDoc(p, docs[p])
		c.addDoc(path.Base(p), docs[p])
	}
	out := Schemas{}
	for _, p := range names {
		t := strings.TrimSuffix(p, "_schema.json")
		if t == "autoscaling" {
			continue
		}
		s, err := c.compileDoc(p)
		if err != nil {
			return nil, fmt.Errorf("PaaSTA schema %s: %w", p, err)
		}
		out[t] = s
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading PaaSTA schemas: no *_schema.json files found")
	}
	return out, nil
}

// CompileSchemas compiles in-memory schema documents: docs maps a document
// name (what "$ref"s use to reach it, such as "autoscaling_schema.json") to
// its JSON value, and roots maps each schema type to its document name.
func CompileSchemas(docs map[string]any, roots map[string]string) (Schemas, error) {
	c := newCompiler()
	for name, d := range docs {
		c.addDoc(name, d)
	}
	out := Schemas{}
	for t, name := range roots {
		s, err := c.compileDoc(name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", t, err)
		}
		out[t] = s
	}
	return out, nil
}

type compiler struct {
	docs     map[string]any
	cache    map[string]*Schema // "doc#pointer"
	patterns map[string]*regexp.Regexp
}

func newCompiler() *compiler {
	return &compiler{docs: map[string]any{}, cache: map[string]*Schema{}, patterns: map[string]*regexp.Regexp{}}
}

// regexp compiles a pattern once per compiler: the same patterns recur
// across a schema (names, env keys, cost owners).
func (c *compiler) regexp(p string) (*regexp.Regexp, error) {
	if re, ok := c.patterns[p]; ok {
		return re, nil
	}
	re, err := CompilePythonRegexp(p)
	if err == nil {
		c.patterns[p] = re
	}
	return re, err
}

func (c *compiler) addDoc(name string, doc any) {
	c.docs[name] = doc
	if m, ok := doc.(map[string]any); ok {
		for _, k := range []string{"$id", "id"} {
			if id, ok := m[k].(string); ok && id != "" {
				c.docs[strings.TrimSuffix(id, "#")] = doc
			}
		}
	}
}

func (c *compiler) compileDoc(name string) (*Schema, error) {
	return c.resolve(name, "")
}

// resolve compiles the schema at pointer (a JSON pointer, with or without
// its leading slash) in document doc, once.
func (c *compiler) resolve(doc, pointer string) (*Schema, error) {
	pointer = strings.TrimLeft(pointer, "/")
	key := doc + "#" + pointer
	if s, ok := c.cache[key]; ok {
		return s, nil
	}
	v, ok := c.docs[doc]
	if !ok {
		return nil, fmt.Errorf("unknown schema document %q", doc)
	}
	if pointer != "" {
		unq, err := url.PathUnescape(pointer)
		if err != nil {
			return nil, fmt.Errorf("bad reference %q: %w", pointer, err)
		}
		for _, part := range strings.Split(unq, "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			switch x := v.(type) {
			case map[string]any:
				v, ok = x[part]
			case []any:
				i, err := strconv.Atoi(part)
				ok = err == nil && i >= 0 && i < len(x)
				if ok {
					v = x[i]
				}
			default:
				ok = false
			}
			if !ok {
				return nil, fmt.Errorf("unresolvable reference %s#%s", doc, pointer)
			}
		}
	}
	s := &Schema{}
	c.cache[key] = s // before compiling, so that recursive references end here
	if err := c.compile(s, doc, v); err != nil {
		return nil, err
	}
	// A chain of schemas that are nothing but "$ref" and lead back to
	// themselves validates nothing and would spin the validator forever.
	seen := map[*Schema]bool{}
	for r := s; r.Ref != nil; r = r.Ref {
		if seen[r] {
			return nil, fmt.Errorf("%s: $ref cycle (%s): every schema on it is only a reference", key, r.RefText)
		}
		seen[r] = true
	}
	return s, nil
}

func (c *compiler) sub(doc string, v any) (*Schema, error) {
	s := &Schema{}
	return s, c.compile(s, doc, v)
}

func (c *compiler) subs(doc string, v any) ([]*Schema, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of schemas")
	}
	out := make([]*Schema, 0, len(list))
	for _, e := range list {
		s, err := c.sub(doc, e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func number(v any) (*big.Float, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("expected a number, found %v", v)
	}
	f, _, err := big.ParseFloat(string(n), 10, 200, big.ToNearestEven)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func count(v any) (*int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("expected an integer, found %v", v)
	}
	i, err := strconv.Atoi(string(n))
	if err != nil {
		return nil, err
	}
	return &i, nil
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("expected a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

func (c *compiler) compile(s *Schema, doc string, v any) error {
	if b, ok := v.(bool); ok { // later drafts' boolean schemas
		s.Never = !b
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("a schema must be an object, found %T", v)
	}
	if ref, ok := m["$ref"].(string); ok {
		target, frag, _ := strings.Cut(ref, "#")
		d := doc
		if target != "" {
			d = target
			if _, ok := c.docs[d]; !ok {
				d = path.Join(path.Dir(doc), target)
			}
		}
		r, err := c.resolve(d, frag)
		if err != nil {
			return err
		}
		s.Ref, s.RefText = r, ref
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := m[k]
		var err error
		switch k {
		case "type":
			switch t := val.(type) {
			case string:
				s.Types = []string{t}
			default:
				s.Types, err = stringList(val)
			}
		case "enum":
			list, ok := val.([]any)
			if !ok {
				err = fmt.Errorf("enum must be a list")
			}
			s.Enum, s.HasEnum = list, true
		case "pattern":
			p, ok := val.(string)
			if !ok {
				err = fmt.Errorf("pattern must be a string")
				break
			}
			s.PatternText = p
			s.Pattern, err = c.regexp(p)
		case "minLength":
			s.MinLength, err = count(val)
		case "maxLength":
			s.MaxLength, err = count(val)
		case "format":
			s.Format, _ = val.(string)
		case "minimum":
			s.Minimum, err = number(val)
		case "maximum":
			s.Maximum, err = number(val)
		case "exclusiveMinimum":
			s.ExclusiveMinimum, _ = val.(bool)
		case "exclusiveMaximum":
			s.ExclusiveMaximum, _ = val.(bool)
		case "multipleOf":
			s.MultipleOf, err = number(val)
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				err = fmt.Errorf("properties must be an object")
				break
			}
			s.Properties = make(map[string]*Schema, len(props))
			for name, pv := range props {
				s.PropertyOrder = append(s.PropertyOrder, name)
				if s.Properties[name], err = c.sub(doc, pv); err != nil {
					return fmt.Errorf("properties.%s: %w", name, err)
				}
			}
			sort.Strings(s.PropertyOrder)
		case "patternProperties":
			props, ok := val.(map[string]any)
			if !ok {
				err = fmt.Errorf("patternProperties must be an object")
				break
			}
			pats := make([]string, 0, len(props))
			for p := range props {
				pats = append(pats, p)
			}
			sort.Strings(pats)
			for _, p := range pats {
				re, err := c.regexp(p)
				if err != nil {
					return err
				}
				sub, err := c.sub(doc, props[p])
				if err != nil {
					return fmt.Errorf("patternProperties %s: %w", p, err)
				}
				s.PatternProperties = append(s.PatternProperties, PatternProperty{Text: p, Re: re, Schema: sub})
			}
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				s.NoAdditional = !b
			} else {
				s.AdditionalProperties, err = c.sub(doc, val)
			}
		case "required":
			s.Required, err = stringList(val)
		case "minProperties":
			s.MinProperties, err = count(val)
		case "maxProperties":
			s.MaxProperties, err = count(val)
		case "dependencies":
			deps, ok := val.(map[string]any)
			if !ok {
				err = fmt.Errorf("dependencies must be an object")
				break
			}
			s.Dependencies = map[string]Dependency{}
			for name, dv := range deps {
				if _, isList := dv.([]any); isList {
					keys, err := stringList(dv)
					if err != nil {
						return err
					}
					s.Dependencies[name] = Dependency{Keys: keys}
					continue
				}
				sub, err := c.sub(doc, dv)
				if err != nil {
					return err
				}
				s.Dependencies[name] = Dependency{Schema: sub}
			}
		case "items":
			if _, isList := val.([]any); isList {
				s.ItemsList, err = c.subs(doc, val)
			} else {
				s.Items, err = c.sub(doc, val)
			}
		case "additionalItems":
			if b, ok := val.(bool); ok {
				s.NoAdditionalItems = !b
			} else {
				s.AdditionalItems, err = c.sub(doc, val)
			}
		case "minItems":
			s.MinItems, err = count(val)
		case "maxItems":
			s.MaxItems, err = count(val)
		case "uniqueItems":
			s.UniqueItems, _ = val.(bool)
		case "allOf":
			s.AllOf, err = c.subs(doc, val)
		case "anyOf":
			s.AnyOf, err = c.subs(doc, val)
		case "oneOf":
			s.OneOf, err = c.subs(doc, val)
		case "not":
			s.Not, err = c.sub(doc, val)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// CompilePythonRegexp compiles a JSON Schema pattern the way Python's re
// module (used by jsonschema) reads it, as far as RE2 can express it: \w and
// \d are Unicode-aware, and $ also matches before a final newline.
func CompilePythonRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case ch == '\\' && i+1 < len(p):
			next := p[i+1]
			i++
			switch next {
			case 'w':
				if inClass {
					b.WriteString(`\p{L}\p{N}_`)
				} else {
					b.WriteString(`[\p{L}\p{N}_]`)
				}
			case 'W':
				if inClass {
					b.WriteString(`\W`)
				} else {
					b.WriteString(`[^\p{L}\p{N}_]`)
				}
			case 'd':
				b.WriteString(`\p{Nd}`)
			case 'D':
				if inClass {
					b.WriteString(`\D`)
				} else {
					b.WriteString(`\P{Nd}`)
				}
			case 'Z':
				b.WriteString(`\z`)
			default:
				b.WriteByte('\\')
				b.WriteByte(next)
			}
		case inClass:
			if ch == ']' {
				inClass = false
			}
			b.WriteByte(ch)
		case ch == '[':
			inClass = true
			b.WriteByte(ch)
			// A ']' right after '[' or '[^' is a literal in both dialects.
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case ch == '$':
			b.WriteString(`(?:\n?\z)`)
		default:
			b.WriteByte(ch)
		}
	}
	// The never-matching alternative keeps the regexp package from
	// building a one-pass matcher, which for a large Unicode class under a
	// counted repetition (tron's [\w\-]{0,254}) costs tens of
	// milliseconds and megabytes per pattern; the language is unchanged.
	re, err := regexp.Compile(`(?:` + b.String() + `)|[^\x00-\x{10FFFF}]`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q is not supported: %w", p, err)
	}
	return re, nil
}
