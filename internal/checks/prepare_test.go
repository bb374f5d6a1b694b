package checks

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/soa"
)

func TestPrepare(t *testing.T) {
	soaRepo := fstest.MapFS{"web/deploy.yaml": {Data: []byte("pipeline: []\n")}}
	fallback := func(context.Context) (*soa.Cache, error) { return soa.NewCache(soaRepo, nil, soa.DefaultLimits()), nil }
	tests := []struct {
		name      string
		config    string
		o         Options
		service   string
		soaPrefix string
		soaIsRepo bool // the soa tree is soaRepo (a flag or the fallback)
		problem   string
		problemAt int
	}{
		{name: "without a config the default service is used", o: Options{DefaultService: "dir"}, service: "dir"},
		{name: "the config's service wins over the default", config: "service: web\n", o: Options{DefaultService: "dir"}, service: "web"},
		{name: "a flag's service wins over the config's", config: "service: web\n", o: Options{Service: "flag", DefaultService: "dir"}, service: "flag"},
		{name: "soa_dir names a directory inside the repository", config: "soa_dir: soa\n", soaPrefix: "soa"},
		{name: "a leading ./ names the same directory", config: "soa_dir: ./soa\n", soaPrefix: "soa"},
		{name: "a trailing slash names the same directory", config: "soa_dir: soa/\n", soaPrefix: "soa"},
		{name: "a nested soa_dir is cleaned", config: "soa_dir: ./a//b/../soa/\n", soaPrefix: "a/soa"},
		{name: "an explicit soa tree wins over soa_dir", config: "soa_dir: soa\n", o: Options{SOA: soaRepo}, soaIsRepo: true},
		{name: "the fallback soa tree is used without soa_dir", o: Options{FallbackSOA: fallback}, soaIsRepo: true},
		{name: "soa_dir wins over the fallback", config: "soa_dir: soa\n", o: Options{FallbackSOA: fallback}, soaPrefix: "soa"},
		{name: "a soa_dir that leaves the repository is a problem at its line", config: "service: web\nsoa_dir: ../x\n", problem: `soa_dir "../x" leaves the repository`, problemAt: 2},
		{name: "an absolute soa_dir is a problem", config: "soa_dir: /etc\n", problem: "is an absolute path", problemAt: 1},
		{name: "the repository itself is no soa_dir", config: "soa_dir: ./\n", problem: "names the repository itself", problemAt: 1},
		{name: "a soa_dir that is a file is a problem", config: "soa_dir: Makefile\n", problem: "is a file", problemAt: 1},
		{name: "a service that is a path is a problem", config: "service: ../../tmp/x\n", problem: "is not a service name", problemAt: 1},
		{name: "an unknown rule is a problem at its line", config: "rules:\n  nope.nope: off\n", problem: `unknown rule "nope.nope"`, problemAt: 2},
		{name: "a broken config names the default service", config: "servce: x\n", o: Options{DefaultService: "dir"}, service: "dir", problem: "unknown key", problemAt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fstest.MapFS{"Makefile": {Data: []byte("test:\n")}, "soa/web/deploy.yaml": {Data: []byte("pipeline: []\n")}, "a/soa/web/deploy.yaml": {Data: []byte("pipeline: []\n")}}
			if tt.config != "" {
				repo[ConfigFile] = &fstest.MapFile{Data: []byte(tt.config)}
			}
			target, err := Prepare(context.Background(), repo, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if p := target.Config.Problem; tt.problem != "" {
				if p == nil || !strings.Contains(p.Msg, tt.problem) || p.Line != tt.problemAt {
					t.Fatalf("problem = %v, want %q at line %d", p, tt.problem, tt.problemAt)
				}
				if target.SOA != nil {
					t.Errorf("a broken config still gave a soa tree")
				}
			} else if p != nil {
				t.Fatalf("unexpected problem %v", p)
			}
			if tt.service != "" && target.Service != tt.service {
				t.Errorf("service = %q, want %q", target.Service, tt.service)
			}
			if target.SOAPrefix != tt.soaPrefix {
				t.Errorf("soa prefix = %q, want %q", target.SOAPrefix, tt.soaPrefix)
			}
			if tt.soaIsRepo {
				if _, err := fs.Stat(target.SOA, "web/deploy.yaml"); err != nil || target.SOAPrefix != "" {
					t.Errorf("soa tree %v (prefix %q), want the explicit or fallback tree", target.SOA, target.SOAPrefix)
				}
			}
		})
	}
}

func TestEngine_SoaFindingsOfAnInRepositorySoaTreeNameFilesOfTheRepository(t *testing.T) {
	repo := fstest.MapFS{
		ConfigFile:                 {Data: []byte("service: web\nsoa_dir: ./yelpsoa-configs/\n")},
		"yelpsoa-configs/web/x.md": {Data: []byte("no deploy.yaml\n")},
	}
	res := prepareAndRun(t, repo)
	var soa int
	for _, f := range res.Findings {
		if strings.HasPrefix(f.RuleID, "soa.") {
			soa++
			if !strings.HasPrefix(f.Path, "yelpsoa-configs/web") {
				t.Errorf("%s: want a path under yelpsoa-configs/web", f)
			}
		}
	}
	if soa == 0 {
		t.Fatalf("no soa finding for a service without deploy.yaml: %v", res.Findings)
	}
}

func TestEngine_MessagesNameFilesOfAnInRepositorySoaTreeWhereTheyAre(t *testing.T) {
	repo := fstest.MapFS{
		ConfigFile:               {Data: []byte("service: web\nsoa_dir: soa\n")},
		"soa/web/service.yaml":   {Data: []byte("description: x\n")},
		"soa/web/kubernetes.yml": {Data: []byte("{}\n")},
	}
	res := prepareAndRun(t, repo)
	var named int
	for _, f := range res.Findings {
		switch f.RuleID {
		case "soa.deploy-yaml", "soa.jenkins-yaml", "soa.monitoring":
			named++
			if !strings.Contains(f.Message, "add soa/web/") {
				t.Errorf("%s: the message does not name the file under soa/", f)
			}
		}
	}
	if named != 3 {
		t.Fatalf("%d of the 3 missing-file findings: %v", named, res.Findings)
	}
}

// prepareAndRun checks repo as a face would: Prepare, then every rule.
func prepareAndRun(t *testing.T, repo fstest.MapFS) *Result {
	t.Helper()
	target, err := Prepare(context.Background(), repo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(All())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// soa.container-port reads the soa tree and the repository's Dockerfile:
// its Dockerfile finding is at the repository's Dockerfile, not at a
// Dockerfile under the soa tree that does not exist.
func TestEngine_ARepositoryFindingOfASoaRuleStaysAtTheRepositoryPath(t *testing.T) {
	repo := fstest.MapFS{
		ConfigFile:                               {Data: []byte("service: web\nsoa_dir: yelpsoa-configs\n")},
		"Dockerfile":                             {Data: []byte("FROM x\nCOPY . /code\nEXPOSE 8080\n")},
		"yelpsoa-configs/web/smartstack.yaml":    {Data: []byte("main:\n  proxy_port: 20001\n")},
		"yelpsoa-configs/web/kubernetes-c1.yaml": {Data: []byte("main:\n  cpus: 1\n")},
	}
	res := prepareAndRun(t, repo)
	var found bool
	for _, f := range res.Findings {
		if f.RuleID == "soa.container-port" {
			found = true
			if f.Path != "Dockerfile" || f.Line != 3 || f.InSOA() || !strings.Contains(f.Message, "(yelpsoa-configs/web/kubernetes-c1.yaml)") {
				t.Errorf("%s: want it at Dockerfile:3, naming yelpsoa-configs/web/kubernetes-c1.yaml", f)
			}
		}
	}
	if !found {
		t.Fatalf("no soa.container-port finding: %v", res.Findings)
	}
}
