package soa

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// This file is a small vocabulary for writing JSON Schema draft-04
// documents as Go values; builtin_schemas.go uses it to define, in
// contractbot's own terms, what PaaSTA's schemas accept. The values are
// plain JSON documents, so the built-in definitions and a PaaSTA
// installation's schema files (see [LoadSchemas]) go through one compiler
// and one validator.

// S is a schema document under construction. Its methods add a keyword and
// return the schema, so that constraints read left to right:
// num().gt(0), arr(str()).unique(), obj(P{...}).closed().req("cmd").
type S map[string]any

// P maps property names (or patterns) to their schemas.
type P map[string]S

func typed(t string) S { return S{"type": t} }

func str() S       { return typed("string") }
func num() S       { return typed("number") }
func integer() S   { return typed("integer") }
func boolean() S   { return typed("boolean") }
func anything() S  { return S{} }
func nullable() S  { return typed("null") }
func anyObject() S { return typed("object") }
func anyArray() S  { return typed("array") }

// types allows several JSON types.
func types(ts ...string) S {
	l := make([]any, len(ts))
	for i, t := range ts {
		l[i] = t
	}
	return S{"type": l}
}

// obj is a mapping with the given known keys; other keys stay allowed
// unless .closed() is added.
func obj(props P) S { return typed("object").props(props) }

// arr is a list whose items all satisfy item.
func arr(item S) S { return typed("array").items(item) }

// enum accepts exactly the given values.
func enum(vals ...any) S { return S{"enum": jsonValues(vals)} }

func anyOf(alts ...S) S { return S{"anyOf": schemaList(alts)} }
func oneOf(alts ...S) S { return S{"oneOf": schemaList(alts)} }
func allOf(alts ...S) S { return S{"allOf": schemaList(alts)} }
func not(s S) S         { return S{"not": map[string]any(s)} }

func (s S) with(k string, v any) S { s[k] = v; return s }

func (s S) props(props P) S {
	m := make(map[string]any, len(props))
	for k, v := range props {
		m[k] = map[string]any(v)
	}
	return s.with("properties", m)
}

// patterns constrains the keys matching each pattern (patternProperties).
func (s S) patterns(props P) S {
	m := make(map[string]any, len(props))
	for k, v := range props {
		m[k] = map[string]any(v)
	}
	return s.with("patternProperties", m)
}

// closed forbids keys that neither props nor patterns name.
func (s S) closed() S { return s.with("additionalProperties", false) }

// extra constrains the keys that neither props nor patterns name.
func (s S) extra(v S) S            { return s.with("additionalProperties", map[string]any(v)) }
func (s S) items(v S) S            { return s.with("items", map[string]any(v)) }
func (s S) req(keys ...string) S   { return s.with("required", jsonValues(anySlice(keys))) }
func (s S) minProps(n int) S       { return s.with("minProperties", jsonNum(n)) }
func (s S) minItems(n int) S       { return s.with("minItems", jsonNum(n)) }
func (s S) maxItems(n int) S       { return s.with("maxItems", jsonNum(n)) }
func (s S) unique() S              { return s.with("uniqueItems", true) }
func (s S) match(pattern string) S { return s.with("pattern", pattern) }
func (s S) maxLen(n int) S         { return s.with("maxLength", jsonNum(n)) }
func (s S) minLen(n int) S         { return s.with("minLength", jsonNum(n)) }
func (s S) ge(x float64) S         { return s.with("minimum", jsonNum(x)) }
func (s S) le(x float64) S         { return s.with("maximum", jsonNum(x)) }
func (s S) gt(x float64) S         { return s.ge(x).with("exclusiveMinimum", true) }
func (s S) lt(x float64) S         { return s.le(x).with("exclusiveMaximum", true) }
func (s S) allOf(alts ...S) S      { return s.with("allOf", schemaList(alts)) }
func (s S) anyOf(alts ...S) S      { return s.with("anyOf", schemaList(alts)) }
func (s S) oneOf(alts ...S) S      { return s.with("oneOf", schemaList(alts)) }
func (s S) not(n S) S              { return s.with("not", map[string]any(n)) }
func (s S) enum(vals ...any) S     { return s.with("enum", jsonValues(vals)) }

// needs says that when key is set, every one of others must be set too
// (draft-04 "dependencies").
func (s S) needs(key string, others ...string) S {
	deps, _ := s["dependencies"].(map[string]any)
	if deps == nil {
		deps = map[string]any{}
	}
	deps[key] = jsonValues(anySlice(others))
	return s.with("dependencies", deps)
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func schemaList(ss []S) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = map[string]any(s)
	}
	return out
}

func jsonNum(x any) json.Number {
	switch v := x.(type) {
	case int:
		return json.Number(strconv.Itoa(v))
	case float64:
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Number(fmt.Sprint(x))
}

func jsonValues(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case int, float64:
			out[i] = jsonNum(x)
		default:
			out[i] = v
		}
	}
	return out
}

// Builtin compiles contractbot's own definitions of the PaaSTA schemas
// (PaaSTA 1.60.3 semantics): the types of [SchemaTypes] plus "deploy".
func Builtin() (Schemas, error) {
	docs := map[string]any{}
	roots := map[string]string{}
	for t, s := range builtinDocs() {
		docs[t] = map[string]any(s)
		roots[t] = t
	}
	return CompileSchemas(docs, roots)
}
