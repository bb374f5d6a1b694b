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

// sch is a schema document under construction. Its methods add a keyword and
// return the schema, so that constraints read left to right:
// num().gt(0), arr(str()).unique(), obj(kv{...}).closed().req("cmd").
type sch map[string]any

// kv maps property names (or patterns) to their schemas.
type kv map[string]sch

func typed(t string) sch { return sch{"type": t} }

func str() sch       { return typed("string") }
func num() sch       { return typed("number") }
func integer() sch   { return typed("integer") }
func boolean() sch   { return typed("boolean") }
func anything() sch  { return sch{} }
func anyObject() sch { return typed("object") }
func anyArray() sch  { return typed("array") }

// types allows several JSON types.
func types(ts ...string) sch {
	l := make([]any, len(ts))
	for i, t := range ts {
		l[i] = t
	}
	return sch{"type": l}
}

// obj is a mapping with the given known keys; other keys stay allowed
// unless .closed() is added.
func obj(props kv) sch { return typed("object").props(props) }

// arr is a list whose items all satisfy item.
func arr(item sch) sch { return typed("array").items(item) }

// enum accepts exactly the given values.
func enum(vals ...any) sch { return sch{"enum": jsonValues(vals)} }

func anyOf(alts ...sch) sch { return sch{"anyOf": schemaList(alts)} }
func oneOf(alts ...sch) sch { return sch{"oneOf": schemaList(alts)} }
func not(s sch) sch         { return sch{"not": map[string]any(s)} }

func (s sch) with(k string, v any) sch { s[k] = v; return s }

func (s sch) props(props kv) sch {
	m := make(map[string]any, len(props))
	for k, v := range props {
		m[k] = map[string]any(v)
	}
	return s.with("properties", m)
}

// patterns constrains the keys matching each pattern (patternProperties).
func (s sch) patterns(props kv) sch {
	m := make(map[string]any, len(props))
	for k, v := range props {
		m[k] = map[string]any(v)
	}
	return s.with("patternProperties", m)
}

// closed forbids keys that neither props nor patterns name.
func (s sch) closed() sch { return s.with("additionalProperties", false) }

// extra constrains the keys that neither props nor patterns name.
func (s sch) extra(v sch) sch          { return s.with("additionalProperties", map[string]any(v)) }
func (s sch) items(v sch) sch          { return s.with("items", map[string]any(v)) }
func (s sch) req(keys ...string) sch   { return s.with("required", jsonValues(anySlice(keys))) }
func (s sch) minProps(n int) sch       { return s.with("minProperties", jsonNum(n)) }
func (s sch) maxItems(n int) sch       { return s.with("maxItems", jsonNum(n)) }
func (s sch) unique() sch              { return s.with("uniqueItems", true) }
func (s sch) match(pattern string) sch { return s.with("pattern", pattern) }
func (s sch) maxLen(n int) sch         { return s.with("maxLength", jsonNum(n)) }
func (s sch) ge(x float64) sch         { return s.with("minimum", jsonNum(x)) }
func (s sch) le(x float64) sch         { return s.with("maximum", jsonNum(x)) }
func (s sch) gt(x float64) sch         { return s.ge(x).with("exclusiveMinimum", true) }
func (s sch) allOf(alts ...sch) sch    { return s.with("allOf", schemaList(alts)) }
func (s sch) enum(vals ...any) sch     { return s.with("enum", jsonValues(vals)) }

// needs says that when key is set, every one of others must be set too
// (draft-04 "dependencies").
func (s sch) needs(key string, others ...string) sch {
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

func schemaList(ss []sch) []any {
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
// (PaaSTA 1.60.3 semantics): the types of [schemaTypes] plus "deploy".
func Builtin() (Schemas, error) {
	docs := map[string]any{}
	roots := map[string]string{}
	for t, s := range builtinDocs() {
		docs[t] = map[string]any(s)
		roots[t] = t
	}
	return CompileSchemas(docs, roots)
}
