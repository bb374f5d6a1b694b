package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts in testdata/script run `contractbot` as a real
// command (testscript re-executes this test binary as it), signal handling
// included.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"contractbot": main,
	})
}

// TestScripts runs the CLI end to end: each testdata/script/*.txtar file is
// one readable case with its commands, files and expected output. Run with
// -testwork to keep the work directories, -update to rewrite expected files.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") == "1",
		RequireExplicitExec: true,
		Cmds:                scriptCmds(),
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", mustAbs("../../fixtures"))
			return nil
		},
	})
}

func mustAbs(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd + "/" + p
}

func TestARunThatOutlastsItsTimeLimitFailsClosedAndSaysSo(t *testing.T) {
	t.Setenv("CONTRACTBOT_TIMEOUT", "1ns")
	var out, errb bytes.Buffer
	code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, []string{"check", "../../fixtures/services/legacy-service"})
	if code != exitUsage || !strings.Contains(errb.String(), "contractbot check: gave up after 1ns (CONTRACTBOT_TIMEOUT)") {
		t.Fatalf("exit %d, stderr %q, stdout %q", code, errb.String(), out.String())
	}
	if strings.Contains(out.String(), "keeps the PaaSTA contract") {
		t.Errorf("a run cut short said the contract is kept:\n%s", out.String())
	}
	if DefaultRunTimeout <= 0 {
		t.Errorf("no default time limit")
	}
}
