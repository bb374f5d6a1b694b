package soa

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// Values load as PyYAML's yaml.safe_load loads them (YAML 1.1), because
// that is what PaaSTA validates.
func TestScalarsLoadAsPyYAMLLoadsThem(t *testing.T) {
	cases := []struct {
		src  string
		kind Kind
		text string
	}{
		{"yes", KindBool, "true"},
		{"Off", KindBool, "false"},
		{"y", KindString, "y"},
		{"~", KindNull, "null"},
		{"", KindNull, "null"},
		{"017", KindInt, "15"},
		{"08", KindString, "08"},
		{"0x1F", KindInt, "31"},
		{"0b101", KindInt, "5"},
		{"1_000", KindInt, "1000"},
		{"1:30", KindInt, "90"},
		{"-12", KindInt, "-12"},
		{"99999999999999999999999", KindInt, "99999999999999999999999"},
		{"1e3", KindString, "1e3"},
		{"1.0e+3", KindFloat, "1.0e+3"},
		{"1.", KindFloat, "1."},
		{".5", KindFloat, ".5"},
		{"-.inf", KindFloat, "-.inf"},
		{"2020-01-02", KindOther, "2020-01-02"},
		{"2024-1-5", KindString, "2024-1-5"},                // PyYAML's date form needs two-digit month and day
		{"2024-1-5 3:04:05", KindOther, "2024-1-5 3:04:05"}, // its date-time form does not
		{"'yes'", KindString, "yes"},
		{"!!str 12", KindString, "12"},
		{"!!float 1", KindFloat, "1"},
		{"0o17", KindString, "0o17"},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			n, err := Parse([]byte("v: "+tc.src+"\n"), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			v := n.Get("v")
			if v.Kind != tc.kind || v.Text != tc.text {
				t.Errorf("v: %s loads as %s %q, want %s %q", tc.src, v.Kind, v.Text, tc.kind, tc.text)
			}
		})
	}
	n, _ := Parse([]byte("v: -.inf\n"), DefaultLimits())
	if f := n.Get("v").Float; !math.IsInf(f, -1) {
		t.Errorf("-.inf = %v", f)
	}
}

func TestMergeKeysFollowPyYAML(t *testing.T) {
	src := `
_a: &a {x: 1, y: 1}
_b: &b {x: 2, z: 2}
one:
  <<: *a
  y: 9
two:
  <<: [*a, *b]
`
	n, err := Parse([]byte(src), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	one, two := n.Get("one"), n.Get("two")
	if one.Get("x").Text != "1" || one.Get("y").Text != "9" {
		t.Errorf("one = x:%s y:%s, want the mapping's own y to win", one.Get("x").Text, one.Get("y").Text)
	}
	if two.Get("x").Text != "1" || two.Get("z").Text != "2" {
		t.Errorf("two = x:%s z:%s, want the first merged mapping to win", two.Get("x").Text, two.Get("z").Text)
	}
	if one.Get("x").Line != 2 {
		t.Errorf("a merged value keeps its own line, got %d", one.Get("x").Line)
	}
}

func TestDuplicateKeysKeepTheLastAndAreRecorded(t *testing.T) {
	n, err := Parse([]byte("a: 1\nb: 2\na: 3\n"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if n.Get("a").Text != "3" || len(n.Keys) != 2 || len(n.Dups) != 1 || n.Dups[0].Line != 3 {
		t.Errorf("a=%s keys=%d dups=%v", n.Get("a").Text, len(n.Keys), n.Dups)
	}
}

func TestHostileYAMLIsAnErrorWithALine(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, c := range "bcdefghijk" {
		bomb += string(c) + ": &" + string(c) + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = string(c)
	}
	cases := []struct {
		name, src, want string
	}{
		{"billion laughs", bomb, "YAML bomb"},
		{"recursive alias", "a: &a [1, *a]\n", "refers to itself"},
		{"unknown anchor", "a: *nope\n", "unknown anchor"},
		{"two documents", "a: 1\n---\nb: 2\n", "single document"},
		{"not UTF-8", "a: \xff\n", "UTF-8"},
		{"unknown tag", "a: !python/object x\n", "constructor"},
		{"mapping as key", "? {a: 1}\n: 2\n", "unhashable"},
		{"bad merge", "a:\n  <<: 3\n", "merging"},
		{"too deep", strings.Repeat("[", 20000), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), DefaultLimits())
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || !strings.Contains(se.Msg, tc.want) {
				t.Errorf("err = %v, want a SyntaxError mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Parse(make([]byte, 5<<20), DefaultLimits()); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("a 5 MiB file: err = %v", err)
	}
}

func TestLoadServiceSkipsLinksAndIgnoresUnknownFiles(t *testing.T) {
	dir := t.TempDir()
	svc := filepath.Join(dir, "web")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(svc, "autotuned_defaults"), 0o755))
	must(os.MkdirAll(filepath.Join(svc, ".git"), 0o755))
	for name, body := range map[string]string{
		"service.yaml":           "description: d\n",
		"kubernetes-norcal.yaml": "main: {cpus: 1}\n",
		"notes.yaml":             "whatever: [\n",
		"README.md":              "# web\n",
		"autotuned_defaults/kubernetes-norcal.yaml": "main: {cpus: 1}\n",
		".git/kubernetes-x.yaml":                    "x: [\n",
		"flink-norcal.yaml":                         "job: {}\n",
	} {
		must(os.WriteFile(filepath.Join(svc, name), []byte(body), 0o644))
	}
	must(os.Symlink("/etc/passwd", filepath.Join(svc, "kubernetes-evil.yaml")))
	must(os.Symlink("kubernetes-norcal.yaml", filepath.Join(svc, "kubernetes-alias.yaml")))

	s, err := LoadService(os.DirFS(dir), "web", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for _, f := range s.Files {
		rels = append(rels, f.Rel)
	}
	want := "autotuned_defaults/kubernetes-norcal.yaml flink-norcal.yaml kubernetes-norcal.yaml service.yaml"
	if got := strings.Join(rels, " "); got != want {
		t.Errorf("files = %s, want %s", got, want)
	}
	outside := map[string]bool{}
	for _, sk := range s.Skipped {
		outside[sk.Path] = sk.Outside
	}
	if !outside["web/kubernetes-evil.yaml"] {
		t.Errorf("the link to /etc/passwd is not reported as leaving the tree: %+v", s.Skipped)
	}
	if o, ok := outside["web/kubernetes-alias.yaml"]; !ok || o {
		t.Errorf("the link inside the tree: %+v", s.Skipped)
	}
	if !s.HasYAML {
		t.Error("HasYAML is false")
	}
	if err := os.Symlink(svc, filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadService(os.DirFS(dir), "linked", DefaultLimits()); !errors.Is(err, ErrSymlink) {
		t.Errorf("a linked service directory: err = %v", err)
	}
	if _, err := LoadService(os.DirFS(dir), "../etc", DefaultLimits()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a service name with a path: err = %v", err)
	}
}

func TestInstancesAndDeployGroups(t *testing.T) {
	fsys := fstest.MapFS{
		"web/kubernetes-norcal.yaml": {Data: []byte("_t: {cpus: 1}\nmain: {deploy_group: prod}\ncanary: {cpus: 1}\n")},
		"web/tron-norcal.yaml": {Data: []byte("job:\n  deploy_group: batch\n  schedule: daily\n  actions:\n    a: {command: x}\n    b: {command: y, deploy_group: other}\n" +
			"list:\n  schedule: daily\n  actions:\n    - {name: c, command: z}\n")},
	}
	s, err := LoadService(fsys, "web", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inst := range s.Instances() {
		g, _, ok := inst.DeployGroup()
		if !ok {
			g = "-"
		}
		got = append(got, inst.Type+":"+inst.Cluster+":"+inst.Name+"="+g)
	}
	want := "kubernetes:norcal:main=prod kubernetes:norcal:canary=norcal.canary tron:norcal:job.a=batch tron:norcal:job.b=other tron:norcal:list.c=-"
	if strings.Join(got, " ") != want {
		t.Errorf("instances:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestRegistrationsKeepEachItsOwnLine(t *testing.T) {
	fsys := fstest.MapFS{
		"web/kubernetes-norcal.yaml": {Data: []byte("main:\n  registrations:\n    - 1\n    - web.a\n    - {x: y}\n    - web.b\ndefault: {cpus: 1}\nnone: {registrations: [1]}\n")},
	}
	s, err := LoadService(fsys, "web", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inst := range s.Instances() {
		regs, at := inst.Registrations("web")
		if at != nil && len(at) != len(regs) {
			t.Fatalf("%s: %d registrations but %d positions", inst.Name, len(regs), len(at))
		}
		for i, r := range regs {
			ln := 0
			if at != nil {
				ln = at[i].Line
			}
			got = append(got, fmt.Sprintf("%s:%s@%d", inst.Name, r, ln))
		}
		if at == nil && inst.Name == "none" {
			t.Errorf("instance none has a registrations list: at must not be nil")
		}
	}
	if want := "main:web.a@4 main:web.b@6 default:web.default@0"; strings.Join(got, " ") != want {
		t.Errorf("registrations:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestSanitiseKubernetesName(t *testing.T) {
	for in, want := range map[string]string{"my_service": "my--service", "_x": "underscore-x", "Web": "web", "__a": "underscore---a"} {
		if got := SanitiseKubernetesName(in); got != want {
			t.Errorf("SanitiseKubernetesName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDockerfileExposes(t *testing.T) {
	got, err := DockerfileExposes([]byte("FROM x\n# EXPOSE 1\nexpose 8888/tcp $PORT \\\n  9000-9001\nEXPOSE 80\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Expose{{8888, 3}, {9000, 3}, {9001, 3}, {80, 5}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to the loader and the validator: they
// must return, without panicking, a tree or an error.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"main: {cpus: 1, mem: 512}\n",
		"a: &a [1, 2]\nb: *a\nc: {<<: {x: 1}}\n",
		"- a\n- b\n",
		"x: !!binary aGVsbG8=\n",
		"? [a]\n: b\n",
		"a: 2020-01-02 10:00:00\n",
		"%YAML 1.1\n---\na: yes\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(seed))
	}
	schemas, err := Builtin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxFileBytes: 1 << 16, MaxNodes: 1 << 14, MaxFiles: 10}
		n, err := Parse(data, lim)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a positioned SyntaxError", err)
			}
			return
		}
		if n.size > lim.MaxNodes {
			t.Fatalf("tree of %d nodes passed a limit of %d", n.size, lim.MaxNodes)
		}
		for _, typ := range []string{"kubernetes", "tron", "smartstack", "deploy"} {
			_ = Validate(schemas[typ], n)
		}
		_ = DeployFromNode("x/deploy.yaml", n)
		fsys := fstest.MapFS{"svc/kubernetes-c.yaml": {Data: data}, "svc/tron-c.yaml": {Data: data}, "svc/smartstack.yaml": {Data: data}}
		s, err := LoadService(fsys, "svc", lim)
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Instances()
		_ = Namespaces(s.File("smartstack.yaml"))
	})
}

func TestDockerfileExposesListsEachPortOnceAndOnlyPorts(t *testing.T) {
	df := "EXPOSE 8888 70000 -1 9000-9001\nEXPOSE 9001 8888 65535\n" + strings.Repeat("EXPOSE"+strings.Repeat(" 1-1000", 1000)+"\n", 100)
	got, err := DockerfileExposes([]byte(df))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1004 {
		t.Fatalf("%d ports, want 1004 (8888, 9000, 9001, 65535 and 1-1000 once each)", len(got))
	}
	want := []Expose{{8888, 1}, {9000, 1}, {9001, 1}, {65535, 2}, {1, 3}}
	if !slices.Equal(got[:5], want) {
		t.Errorf("first ports = %v, want %v", got[:5], want)
	}
}

func TestLongIntegersLoadToTheirExactValue(t *testing.T) {
	digits := "9" + strings.Repeat("1234567890", 100) // 1001 digits: many chunks of 18
	want, _ := new(big.Int).SetString(digits, 10)
	sexa := "59" + strings.Repeat(":59", 300) // 60^301 - 1
	wantSexa := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(60), big.NewInt(301), nil), big.NewInt(1))
	root, err := Parse([]byte("a: "+digits+"\nb: -"+digits+"\nc: "+sexa+"\n"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]*big.Int{"a": want, "b": new(big.Int).Neg(want), "c": wantSexa} {
		if n := root.Get(key); n.Kind != KindInt || n.Int.Cmp(want) != 0 {
			t.Errorf("%s loads as %v %v, want the integer %v", key, n.Kind, n.Int, want)
		}
	}
}

func TestLoadServiceBoundsTheEntriesOfTheWholeWalk(t *testing.T) {
	// 300 directories of 200 files: no directory is large, the walk is.
	fsys := fstest.MapFS{"svc/service.yaml": {Data: []byte("description: x\n")}}
	for d := range 300 {
		for f := range 200 {
			fsys[fmt.Sprintf("svc/d%03d/f%03d.txt", d, f)] = &fstest.MapFile{}
		}
	}
	s, err := LoadService(fsys, "svc", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if s.File("service.yaml") == nil {
		t.Error("service.yaml, listed before the bound, was not loaded")
	}
	if len(s.Skipped) != 1 || !strings.Contains(s.Skipped[0].Reason, "more than 50000 entries") {
		t.Errorf("Skipped = %+v, want one note that the walk stopped at 50000 entries", s.Skipped)
	}
}
