package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		ok       bool
		want     []string // lines the output must hold
		not      []string // ... and must not
	}{
		{
			name: "a passing run lists its skipped tests and why",
			in: `{"Action":"run","Package":"p/a","Test":"TestOracle"}
{"Action":"output","Package":"p/a","Test":"TestOracle","Output":"=== RUN   TestOracle\n"}
{"Action":"output","Package":"p/a","Test":"TestOracle","Output":"    oracle_test.go:30: GNU make not installed\n"}
{"Action":"output","Package":"p/a","Test":"TestOracle","Output":"--- SKIP: TestOracle (0.00s)\n"}
{"Action":"skip","Package":"p/a","Test":"TestOracle"}
{"Action":"output","Package":"p/a","Test":"TestFine","Output":"=== RUN   TestFine\n"}
{"Action":"pass","Package":"p/a","Test":"TestFine"}
{"Action":"output","Package":"p/a","Output":"PASS\n"}
{"Action":"output","Package":"p/a","Output":"ok  \tp/a\t0.1s\n"}
{"Action":"pass","Package":"p/a"}
`,
			ok:   true,
			want: []string{"ok  \tp/a\t0.1s", "1 skipped", "  p/a TestOracle: GNU make not installed"},
			not:  []string{"=== RUN", "TestFine", "PASS"},
		},
		{
			name: "a failing test's output is shown and the run fails",
			in: `{"Action":"output","Package":"p/b","Test":"TestBad","Output":"    b_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"p/b","Test":"TestBad"}
{"Action":"output","Package":"p/b","Output":"FAIL\tp/b\t0.2s\n"}
{"Action":"fail","Package":"p/b"}
`,
			want: []string{"b_test.go:9: got 1, want 2", "FAIL\tp/b\t0.2s"},
			not:  []string{"skipped"},
		},
		{
			name: "a build failure fails the run",
			in: `{"ImportPath":"p/c","Action":"build-output","Output":"c.go:1:1: expected 'package'\n"}
{"ImportPath":"p/c","Action":"build-fail"}
{"Action":"output","Package":"p/c","Output":"FAIL\tp/c [setup failed]\n"}
{"Action":"fail","Package":"p/c"}
`,
			want: []string{"c.go:1:1: expected 'package'"},
		},
		{
			name: "no results at all is a failure, and go's own errors pass through",
			in:   "pattern ./nope/...: directory prefix nope does not contain main module\n",
			want: []string{"directory prefix nope", "no test results"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			ok, err := summarize(strings.NewReader(tt.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out.String(), n) {
					t.Errorf("output holds %q:\n%s", n, out.String())
				}
			}
		})
	}
}
