package app

import (
	"strings"
	"testing"
)

func TestMirrorChoosers(t *testing.T) {
	for _, tc := range []struct {
		name, path         string
		index, inWeb, repo bool
	}{
		{"a service's smartstack.yaml is read by the index", "web/smartstack.yaml", true, true, true},
		{"a service's other file is not read by the index", "web/kubernetes-prod.yaml", false, true, true},
		{"a top-level file is read (.contractbot.yaml)", ".contractbot.yaml", true, false, true},
		{"a smartstack.yaml under a dot-directory is no service's", ".github/smartstack.yaml", false, false, true},
		{"a deeper smartstack.yaml is no service's", "web/sub/smartstack.yaml", false, true, true},
		{"another service's file is not the changed service's", "api/deploy.yaml", false, false, true},
		{"a deep file is not prefetched for a service repository", "a/b/c/Makefile", false, false, false},
		{"an included makefile near the top is", "make/common.mk", false, false, true},
		{"source code is not", "cmd/main.go", false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readsIndex(tc.path); got != tc.index {
				t.Errorf("readsIndex(%q) = %v, want %v", tc.path, got, tc.index)
			}
			if got := inDirs([]string{"web"})(tc.path); got != tc.inWeb {
				t.Errorf("inDirs(web)(%q) = %v, want %v", tc.path, got, tc.inWeb)
			}
			if got := readsRepo(tc.path); got != tc.repo {
				t.Errorf("readsRepo(%q) = %v, want %v", tc.path, got, tc.repo)
			}
		})
	}
}

func TestChangedDirectoriesBecomeServices(t *testing.T) {
	got := serviceDirs(appendSlash([]string{"web", ".github", "api"}))
	if want := "api,web"; strings.Join(got, ",") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}
