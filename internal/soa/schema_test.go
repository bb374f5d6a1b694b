package soa

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestPythonPatternsKeepPythonSemantics(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{`^[a-z]+$`, "abc\n", true}, // Python's $ also matches before a final newline
		{`^[a-z]+$`, "abc\n\n", false},
		{`^[A-Za-z_][\w\-]{0,254}$`, "job_é", true}, // \w is Unicode-aware
		{`^[A-Za-z_][\w\-]{0,254}$`, "job€", false},
		{`^\d+\s*[a-z]+$`, "10 m", true},
		{`^\d+\s*[a-z]+$`, "١٠m", true}, // Arabic-Indic digits are \d in Python
		{`^[^_].*$`, "_x", false},
		{`[]a]`, "]", true},
	}
	for _, tc := range cases {
		re, err := CompilePythonRegexp(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if got := re.MatchString(tc.s); got != tc.want {
			t.Errorf("%s on %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
	if _, err := CompilePythonRegexp(`(?<=a)b`); err == nil {
		t.Error("a lookbehind compiled; RE2 cannot run it and it must be reported")
	}
}

func TestLoadSchemasFromAnInstalledPaasta(t *testing.T) {
	fsys := fstest.MapFS{
		"kubernetes_schema.json": {Data: []byte(`{"type": "object", "patternProperties": {"^[a-z]+$": {"type": "object",
			"properties": {"autoscaling": {"$ref": "autoscaling_schema.json#autoscaling_params"}}, "additionalProperties": false}},
			"additionalProperties": false}`)},
		"autoscaling_schema.json": {Data: []byte(`{"$id": "autoscaling_schema.json", "autoscaling_params": {"type": "object",
			"properties": {"metrics_providers": {"type": "array", "items": {"$ref": "#provider"}}}, "additionalProperties": false},
			"provider": {"type": "object", "properties": {"type": {"enum": ["cpu"]}}}}`)},
		"autotuned_defaults/kubernetes_schema.json": {Data: []byte(`{"type": "object", "minProperties": 1}`)},
	}
	s, err := LoadSchemas(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if s["kubernetes"] == nil || s["autotuned_defaults/kubernetes"] == nil || s["autoscaling"] != nil {
		t.Fatalf("types = %v", s)
	}
	doc, _ := Parse([]byte("main:\n  autoscaling:\n    metrics_providers:\n      - type: gpu\n"), DefaultLimits())
	vs := Validate(s["kubernetes"], doc)
	if len(vs) != 1 || vs[0].Line != 4 || !strings.Contains(vs[0].Message, `main.autoscaling.metrics_providers[0].type must be one of "cpu", found "gpu"`) {
		t.Errorf("violations = %v", vs)
	}

	delete(fsys, "autoscaling_schema.json")
	if _, err := LoadSchemas(fsys); err == nil || !strings.Contains(err.Error(), "autoscaling_schema.json") {
		t.Errorf("a missing referenced schema: err = %v", err)
	}
	if _, err := LoadSchemas(fstest.MapFS{"README": {Data: []byte("x")}}); err == nil {
		t.Error("a directory without schemas loaded")
	}
}

func TestViolationsNameTheKeyTheExpectationAndTheValue(t *testing.T) {
	schemas, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := Parse([]byte("main:\n  cpus: lots\n  mem: 16\n  ram: 1\n  healthcheck_mode: cmd\n  env: {1BAD: x}\n"), DefaultLimits())
	var got []string
	for _, v := range Validate(schemas["kubernetes"], doc) {
		got = append(got, v.String())
	}
	want := []string{
		`line 1: main is missing the required key "healthcheck_cmd"`,
		`line 2: main.cpus must be a number, found the string "lots"`,
		`line 3: main.mem must be >= 32, found 16`,
		`line 4: the key "ram" in main is not allowed (did you mean "mem"?)`,
		`line 6: the key "1BAD" in main.env is not allowed: keys must match ^[a-zA-Z_]+[a-zA-Z0-9_]*$`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
