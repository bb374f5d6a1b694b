package checks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

type fakeObjects map[string][2]string // ref -> oid, type

func (f fakeObjects) RefTarget(_ context.Context, ref string) (string, string, error) {
	v, ok := f[ref]
	if !ok {
		return "", "", errors.New("no such ref in the push")
	}
	return v[0], v[1], nil
}

type fakeImages struct {
	have map[string]bool
	err  error
}

func (f fakeImages) HasImage(_ context.Context, repo, tag string) (bool, error) {
	if f.err != nil {
		return false, f.err
	}
	return f.have[repo+":"+tag], nil
}

func TestRefRules(t *testing.T) {
	const (
		good    = "refs/tags/paasta-prod.main-20260102T030405-deploy"
		goodIV  = "refs/tags/paasta-prod.main+v2-20260102T030405-deploy"
		unknown = "refs/tags/paasta-prod.mian-20260102T030405-deploy"
		bad     = "refs/tags/paasta-prod.main-2026-01-01-deploy"
		stop    = "refs/tags/paasta-norcal.main-20260102T030405-stop"
		sha     = "0123456789abcdef0123456789abcdef01234567"
	)
	soaFS := fstest.MapFS{"web/deploy.yaml": {Data: []byte("pipeline:\n- step: itest\n- step: security-check\n- step: prod.main\n")}}
	objs := fakeObjects{
		good: {sha, "commit"}, goodIV: {sha, "commit"}, unknown: {sha, "commit"}, stop: {sha, "commit"},
		"refs/tags/paasta-prod.main-20260102T030406-deploy": {sha, "tag"},
		"refs/tags/paasta-prod.main-20260102T030407-deploy": {sha, "missing"},
	}
	images := fakeImages{have: map[string]bool{"services-web:paasta-" + sha: true}}
	tests := []struct {
		name   string
		target Target
		want   []string // "rule path: message fragment"
	}{
		{"a well-formed deploy tag for a known group passes",
			Target{Refs: []string{good, stop, "refs/heads/main"}, SOA: soaFS, Service: "web", RefObjects: objs, Images: images}, nil},
		{"a malformed tag is named with its column and the valid form",
			Target{Refs: []string{bad}},
			[]string{`ref.name ` + bad + `: bad timestamp "2026-01-01": want YYYYmmddTHHMMSS in UTC, like 20260102T030405 (column 28); write it as refs/tags/paasta-<deploy_group>`}},
		{"an unknown deploy group lists the known ones",
			Target{Refs: []string{unknown}, SOA: soaFS, Service: "web"},
			[]string{`ref.deploy-group ` + unknown + `: deploy group "prod.mian" is not a deploy step of web/deploy.yaml (did you mean "prod.main"?) (deploy groups: prod.main)`}},
		{"a group far from every known one gets no suggestion",
			Target{Refs: []string{"refs/tags/paasta-canary-20260102T030405-deploy"}, SOA: soaFS, Service: "web"},
			[]string{`ref.deploy-group refs/tags/paasta-canary-20260102T030405-deploy: deploy group "canary" is not a deploy step of web/deploy.yaml (deploy groups: prod.main)`}},
		{"a service without deploy.yaml cannot deploy",
			Target{Refs: []string{good}, SOA: soaFS, Service: "api"},
			[]string{`ref.deploy-group ` + good + `: api/deploy.yaml does not exist`}},
		{"an annotated tag is not a commit",
			Target{Refs: []string{"refs/tags/paasta-prod.main-20260102T030406-deploy"}, RefObjects: objs},
			[]string{"ref.target refs/tags/paasta-prod.main-20260102T030406-deploy: points at annotated tag object 0123456789ab"}},
		{"a commit the repository lacks is named",
			Target{Refs: []string{"refs/tags/paasta-prod.main-20260102T030407-deploy"}, RefObjects: objs},
			[]string{"ref.target refs/tags/paasta-prod.main-20260102T030407-deploy: 0123456789ab is not in the repository"}},
		{"an image version the registry lacks is reported",
			Target{Refs: []string{goodIV}, Service: "web", RefObjects: objs, Images: images},
			[]string{"ref.image " + goodIV + ": image services-web:paasta-" + sha + "-v2 is not in the registry"}},
		{"a registry that cannot answer is reported",
			Target{Refs: []string{good}, Service: "web", RefObjects: objs, Images: fakeImages{err: errors.New("registry down")}},
			[]string{"ref.image " + good + ": cannot check image services-web:paasta-" + sha + ": registry down"}},
		{"a branch named like a legacy deploy branch is left alone",
			Target{Refs: []string{"refs/heads/paasta-fix-typo"}, SOA: soaFS, Service: "web", RefObjects: objs, Images: images}, nil},
		{"control tags are not judged by deploy group or image",
			Target{Refs: []string{stop}, SOA: soaFS, Service: "web", RefObjects: objs, Images: fakeImages{}}, nil},
	}
	e, err := NewEngine(refRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Run(context.Background(), tt.target)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.RuleID+" "+f.Subject+": "+f.Message)
				if f.Path != "" || f.Line != 0 {
					t.Errorf("a ref finding at %s:%d, want the ref as its subject and no file", f.Path, f.Line)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings:\n%s\nwant %d", strings.Join(got, "\n"), len(tt.want))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("finding %d:\n got %s\nwant %s...", i, got[i], tt.want[i])
				}
			}
		})
	}
}
