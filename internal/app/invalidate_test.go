package app

import (
	"testing"
	"testing/fstest"
)

func TestSplitGitURL(t *testing.T) {
	for _, tc := range []struct{ in, owner, repo string }{
		{"git@github.com:acme/web.git", "acme", "web"},
		{"git@github.yelpcorp.com:services/worker", "services", "worker"},
		{"https://github.com/acme/web.git", "acme", "web"},
		{"ssh://git@ghe.example.com/acme/web", "acme", "web"},
		{"https://ghe.example.com/acme/web/", "acme", "web"},
		{"web", "", ""},
		{"https://github.com/", "", ""},
	} {
		o, r, ok := splitGitURL(tc.in)
		if o != tc.owner || r != tc.repo || ok != (tc.owner != "") {
			t.Errorf("splitGitURL(%q) = %q, %q, %v; want %q, %q", tc.in, o, r, ok, tc.owner, tc.repo)
		}
	}
}

func TestServiceRepoPrefersGitURLThenTheMapThenTheName(t *testing.T) {
	tree := fstest.MapFS{
		"a/service.yaml": {Data: []byte("git_url: git@github.com:other/a-repo.git\n")},
		"b/service.yaml": {Data: []byte("description: b\n")},
	}
	o := &Onboarder{ServiceRepos: map[string]string{"a": "map/a", "b": "map/b"}}
	for _, tc := range []struct{ service, want, from string }{
		{"a", "other/a-repo", "git_url"},
		{"b", "map/b", "map"},
		{"c", "acme/c", "name"},
	} {
		owner, repo, from := o.serviceRepo(tree, recheckJob{SOAOwner: "acme", Service: tc.service})
		if owner+"/"+repo != tc.want || from != tc.from {
			t.Errorf("%s: %s/%s from %s, want %s from %s", tc.service, owner, repo, from, tc.want, tc.from)
		}
	}
}

func TestParseServiceReposRefusesWhatIsNotServiceEqualsOwnerSlashRepo(t *testing.T) {
	if m, err := parseServiceRepos(" a=o/r , b=o/s,"); err != nil || m["a"] != "o/r" || m["b"] != "o/s" {
		t.Fatalf("parseServiceRepos = %v, %v", m, err)
	}
	for _, bad := range []string{"a", "a=o", "=o/r", "a=o/r/x"} {
		if _, err := parseServiceRepos(bad); err == nil {
			t.Errorf("parseServiceRepos(%q) accepted", bad)
		}
	}
}
