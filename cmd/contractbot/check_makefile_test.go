package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// contractT keeps the whole Makefile contract in three lines; the cases
// below each add or change one thing (issue 14's "T").
const contractT = "test: ; @echo t\nitest: cook-image ; @echo i\ncook-image: ; @echo docker build -t $(DOCKER_TAG) .\n"

// makefileCheckCases are issue 14's cases, each run through `contractbot
// check` on a repository of its own. want are substrings of the output
// that must appear, absent ones that must not; code is the exit status.
var makefileCheckCases = []struct {
	name   string
	files  map[string]string
	code   int
	want   []string
	absent []string
}{
	{name: "a missing endif is a parse error, not a clean bill",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\nifdef CI\nX = 1\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: GNU make stops reading the Makefile here with \"missing 'endif'", "[makefile.parse]"}},
	{name: "a stray endif is a parse error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\nendif\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: GNU make stops reading the Makefile here with \"extraneous 'endif'\"", "[makefile.parse]"}},
	{name: "an unterminated define is a parse error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n" + contractT + "define X\nbody\n"},
		code:  1, want: []string{"Makefile:5: error: GNU make stops reading the Makefile here with \"missing 'endef', unterminated 'define'\"", "[makefile.parse]"}},
	{name: "a top-level error call is a parse error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n$(error boom)\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: GNU make stops reading the Makefile here with \"boom\"", "[makefile.parse]"}},
	{name: "itest needing a cook-image that has no rule is an itest error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\ntest: ; @echo t\nitest: cook-image ; @echo i $(DOCKER_TAG)\n"},
		code:  1, want: []string{"Makefile:3: error: `make itest` stops with \"No rule to make target 'cook-image', needed by 'itest'\"", "[makefile.cook-image]"}},
	{name: "a test prerequisite that is no file and has no rule is a test error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n" + strings.Replace(contractT, "test: ;", "test: requirements-dev.txt ;", 1)},
		code:  1, want: []string{"`make test` stops with \"No rule to make target 'requirements-dev.txt', needed by 'test'\""}},
	{name: "a test prerequisite that is a file in the repository is fine",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n" + strings.Replace(contractT, "test: ;", "test: requirements-dev.txt ;", 1), "requirements-dev.txt": "pytest\n"},
		code:  0, absent: []string{"error"}},
	{name: "an include of a file over the size limit fails closed",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\ninclude big.mk\n" + contractT, "big.mk": strings.Repeat("# padding padding padding\n", 4_300_000/26) + "DOCKER_TAG := forced\n"},
		code:  1, want: []string{"Makefile:2: error: big.mk is larger than 4 MiB; not read: contractbot stopped analysing the Makefile here", "[makefile.incomplete]"}},
	{name: "a 40-deep include chain fails closed",
		files: includeChain(40, "DOCKER_TAG := forced\n"),
		code:  1, want: []string{"error: include of mk/33.mk nested more than 32 deep", "[makefile.incomplete]"}},
	{name: "a main Makefile over the size limit is one incomplete finding, not misleading ones",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n" + contractT + strings.Repeat("# padding padding padding\n", 4_300_000/26)},
		code:  1, want: []string{"Makefile:1: error: file is larger than 4 MiB; not read", "[makefile.incomplete]"}, absent: []string{"makefile.test", "makefile.docker-tag"}},
	{name: "a hard include of a missing file with no rule is a parse error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\ninclude nothere.mk\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: GNU make stops reading the Makefile here with \"nothere.mk: No such file or directory\""}},
	{name: "a hard include of a file that has a rule is not an error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\ninclude gen.mk\ngen.mk: ; @echo X = 1 > $@\n" + contractT},
		code:  0, absent: []string{"error"}},
	{name: "a DOCKER_TAG made of a self-referencing variable is an error",
		files: map[string]string{"Makefile": "A = $(A)\nDOCKER_TAG ?= $(A)\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: expanding DOCKER_TAG makes make stop with \"Recursive variable 'A' references itself (eventually)\"", "[makefile.docker-tag]"}},
	{name: "an error call in the test recipe is a test error",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n" + strings.Replace(contractT, "@echo t", "$(error no tests)", 1)},
		code:  1, want: []string{"Makefile:2: error: `make test` stops with \"no tests\"", "[makefile.test]"}},
	{name: "a pattern-specific DOCKER_TAG overrides the environment",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n%: DOCKER_TAG = forced\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: the pattern-specific assignment for % sets DOCKER_TAG for test, itest, cook-image", "[makefile.docker-tag]"}},
	{name: "a target-specific export alone is no itest rule",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\ntest: ; @echo t\nitest: export FOO = 1\ncook-image: ; docker build -t $(DOCKER_TAG) .\n"},
		code:  1, want: []string{"the Makefile has no itest target", "[makefile.itest]"}},
	{name: "a DOCKER_TAG set only target-specifically with ?= is defined for the targets that use it",
		files: map[string]string{"Makefile": "itest cook-image: DOCKER_TAG ?= v\n" + contractT},
		code:  0, absent: []string{"not defined"}},
	{name: "a tag reached through a simple variable counts",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\nIMAGE := reg/svc:$(DOCKER_TAG)\ntest: ; @echo t\nitest: ; docker build -t $(IMAGE) .\ncook-image: ; docker build -t $(IMAGE) .\n"},
		code:  0, absent: []string{"makefile.itest-docker-tag"}},
	{name: "a tag used by a sub-make in another directory counts",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\nexport DOCKER_TAG\ntest: ; @echo t\nitest: ; $(MAKE) -C sub itest\ncook-image: ; $(MAKE) -C sub cook-image\n",
			"sub/Makefile": "itest cook-image: ; docker build -t $(DOCKER_TAG) .\n"},
		code: 0, absent: []string{"makefile.itest-docker-tag"}},
	{name: "a UTF-8 byte order mark is ignored as make ignores it",
		files: map[string]string{"Makefile": "\ufeffDOCKER_TAG ?= v\n" + contractT},
		code:  0, absent: []string{"error", "warning"}},
	{name: "a line of NUL bytes is ignored with make's warning",
		files: map[string]string{"Makefile": "DOCKER_TAG ?= v\n\x00\x00\x00\n" + contractT},
		code:  0, absent: []string{"missing separator"}},
	{name: "a finding from eval points at the eval line",
		files: map[string]string{"Makefile": "# tag\n$(eval DOCKER_TAG = x)\n" + contractT},
		code:  1, want: []string{"Makefile:2: error: DOCKER_TAG is set so that the environment cannot override it"}, absent: []string{"(eval)"}},
}

// includeChain is a repository whose Makefile includes mk/1.mk, which
// includes mk/2.mk, ... down to mk/<depth>.mk, which holds last.
func includeChain(depth int, last string) map[string]string {
	files := map[string]string{"Makefile": "DOCKER_TAG ?= v\ninclude mk/1.mk\n" + contractT}
	for i := 1; i < depth; i++ {
		files[filepath.Join("mk", strconv.Itoa(i)+".mk")] = "include mk/" + strconv.Itoa(i+1) + ".mk\n"
	}
	files[filepath.Join("mk", strconv.Itoa(depth)+".mk")] = last
	return files
}

func TestCheckMakefileFailsClosed(t *testing.T) {
	for _, tt := range makefileCheckCases {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "svc")
			files := map[string]string{"Dockerfile": "FROM scratch\nCOPY . /code\n"}
			for k, v := range tt.files {
				files[k] = v
			}
			for name, body := range files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errs := runCLI("check", dir)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
}

// TestCheckRefusesNonRegularFiles puts a named pipe where a Makefile, an
// included makefile or .contractbot.yaml is read: the check must refuse it
// without opening it (opening a FIFO blocks until a writer comes).
func TestCheckRefusesNonRegularFiles(t *testing.T) {
	tests := []struct {
		name, fifo string
		files      map[string]string
		code       int
		want       string
	}{
		{"a named pipe as the Makefile", "Makefile", nil, 2, "not a regular file"},
		{"a named pipe as an included makefile", "inc.mk", map[string]string{"Makefile": "DOCKER_TAG ?= v\ninclude inc.mk\n" + contractT}, 1,
			"inc.mk: not a regular file"},
		{"a named pipe as .contractbot.yaml", ".contractbot.yaml", map[string]string{"Makefile": "DOCKER_TAG ?= v\n" + contractT}, 2, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"Dockerfile": "FROM scratch\nCOPY . /code\n"}
			for k, v := range tt.files {
				files[k] = v
			}
			for name, body := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := syscall.Mkfifo(filepath.Join(dir, tt.fifo), 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			type result struct {
				code     int
				out, err string
			}
			done := make(chan result, 1)
			go func() {
				code, out, errs := runCLI("check", dir)
				done <- result{code, out, errs}
			}()
			select {
			case r := <-done:
				if r.code != tt.code || !strings.Contains(r.out+r.err, tt.want) {
					t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", r.code, tt.code, tt.want, r.out, r.err)
				}
			case <-time.After(30 * time.Second):
				// A deadlock guard, not a timing assertion: without the
				// refusal the check blocks forever in open(2).
				t.Fatal("check blocked on the named pipe")
			}
		})
	}
}

// TestCheckRefusesASchemaRefCycle gives --paasta-schemas two schemas that
// are only references to each other: loading them is an error, where the
// validator used to follow the cycle forever, deaf to signals.
func TestCheckRefusesASchemaRefCycle(t *testing.T) {
	schemas := t.TempDir()
	for name, body := range map[string]string{
		"kubernetes_schema.json": `{"$ref": "loop_schema.json"}`,
		"loop_schema.json":       `{"$ref": "kubernetes_schema.json"}`,
	} {
		if err := os.WriteFile(filepath.Join(schemas, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	svc := filepath.Join(t.TempDir(), "web")
	if err := os.MkdirAll(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() {
		code, out, errs := runCLI("check", "--paasta-schemas", schemas, "--soa-dir", filepath.Join("..", "..", "fixtures", "yelpsoa-configs", "good"), "--service", "web", svc)
		done <- strconv.Itoa(code) + "\n" + out + errs
	}()
	select {
	case r := <-done:
		if !strings.HasPrefix(r, "2\n") || !strings.Contains(r, "$ref cycle") {
			t.Errorf("want exit 2 naming the $ref cycle, got:\n%s", r)
		}
	case <-time.After(60 * time.Second):
		// A deadlock guard, not a timing assertion.
		t.Fatal("check spun on the $ref cycle")
	}
}
