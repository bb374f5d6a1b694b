package checks

import (
	"context"
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/makefile"
)

func TestAnalyzeMakefileFacts(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"a makefile with nothing the contract needs", map[string]string{"Makefile": "all:\n\techo\n"},
			`{"targets":{"cook-image":{"defined":false,"how":"none"},"itest":{"defined":false,"how":"none"},"test":{"defined":false,"how":"none"}},"docker_tag":{"defined":false,"conditional":false,"default":null,"exported":false,"shell_dependent":false},"itest_uses_docker_tag":null,"cook_image_uses_docker_tag":null,"missing_includes":[]}`},
		{"a missing include is recorded, not fatal", map[string]string{"Makefile": "include ../outside.mk /etc/passwd mk/none.mk\n-include opt.mk\nDOCKER_TAG ?= $(shell git rev-parse HEAD)\ntest: ; true\n"},
			`{"targets":{"cook-image":{"defined":false,"how":"none"},"itest":{"defined":false,"how":"none"},"test":{"defined":true,"how":"explicit"}},"docker_tag":{"defined":true,"conditional":true,"default":null,"exported":false,"shell_dependent":true},"itest_uses_docker_tag":null,"cook_image_uses_docker_tag":null,"missing_includes":["../outside.mk","/etc/passwd","mk/none.mk","opt.mk"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, b := range tt.files {
				fsys[n] = &fstest.MapFile{Data: []byte(b)}
			}
			a, err := AnalyzeMakefile(context.Background(), fsys, "Makefile")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(a.Facts)
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAnalyzeMakefilePositions(t *testing.T) {
	fsys := fstest.MapFS{
		"Makefile":     {Data: []byte("include mk/docker.mk\n\ntest:\n\tgo test ./...\nitest:\n    docker run $(IMAGE)\n")},
		"mk/docker.mk": {Data: []byte("# docker\nexport DOCKER_TAG := web-$(USER) \\\n  -dev\nIMAGE = x:$(DOCKER_TAG)\n")},
	}
	a, err := AnalyzeMakefile(context.Background(), fsys, "Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if ti := a.Targets[TargetTest]; ti.Path != "Makefile" || ti.Line != 3 {
		t.Errorf("test at %s:%d, want Makefile:3", ti.Path, ti.Line)
	}
	as := a.DockerTagAssign
	if as == nil || as.Path != "mk/docker.mk" || as.Line != 2 || as.EndLine != 3 || as.Op != makefile.OpSimple || !as.Editable ||
		as.Text != "export DOCKER_TAG := web-$(USER) \\\n  -dev\n" {
		t.Errorf("assignment = %+v", as)
	}
	if len(a.TabProblems) != 1 || a.TabProblems[0].Line != 6 || a.TabProblems[0].MakeError != "" || !a.TabProblems[0].SpaceIndented {
		t.Errorf("tab problems = %+v", a.TabProblems)
	}
	if d := a.Facts.DockerTag; d.Default == nil || *d.Default != "web- -dev" || d.Conditional || !d.Exported {
		t.Errorf("docker_tag = %+v", d)
	}
}
