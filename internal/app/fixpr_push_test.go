package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/fix"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

func TestPushedKey_NamesOneServiceOfOneRepositoryAndCommit(t *testing.T) {
	sha := strings.Repeat("b", 40)
	for _, tc := range []struct {
		name, owner, repo, key, want string
		ok                           bool
	}{
		{"its own record", "Acme", "yelpsoa-configs", pushedKey("Acme", "yelpsoa-configs", "web", sha), "web", true},
		{"a service with dots and dashes", "acme", "soa", pushedKey("acme", "soa", "web.api-v2", sha), "web.api-v2", true},
		{"another repository's record", "acme", "soa", pushedKey("acme", "soa2", "web", sha), "", false},
		{"a repository whose name the other's starts with", "acme", "so", pushedKey("acme", "soa", "web", sha), "", false},
		{"no commit", "acme", "soa", "acme/soa/web@", "", false},
		{"no @ at all", "acme", "soa", "acme/soa/web", "", false},
		{"a name git cannot hold in a branch", "acme", "soa", "acme/soa/../x@" + sha, "", false},
		{"a path instead of a service", "acme", "soa", "acme/soa/web/deploy.yaml@" + sha, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parsePushedKey(tc.owner, tc.repo, tc.key)
			if ok != tc.ok || ok && got != tc.want {
				t.Fatalf("parsePushedKey(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFixCommitMessage_OfThePerPushModeNamesTheServicesTheNextJobLooksAtAgain(t *testing.T) {
	j := fixPRJob{SHA: strings.Repeat("c", 40), DefaultBranch: "master", Push: true, Services: []string{"web", "worker"}}
	msg := fixCommitMessage(j, nil)
	if got := trailerServices(msg); !slices.Equal(got, j.Services) {
		t.Fatalf("trailer services %v, want %v:\n%s", got, j.Services, msg)
	}
	if !ownFixCommit(ghclient.Commit{Message: msg, Committer: ghclient.Identity{Name: fixCommitterName, Email: fixCommitterEmail}}) {
		t.Fatalf("the App's own per-push commit is not recognised:\n%s", msg)
	}
	if got := trailerServices(fixCommitMessage(fixPRJob{SHA: j.SHA, DefaultBranch: "master", Service: "web"}, nil)); got != nil {
		t.Fatalf("a per-service commit names services %v", got)
	}
	body := fixPRBody(j, nil)
	if !strings.Contains(body, "in `web/` and `worker/` on `master`") {
		t.Fatalf("body does not name the services:\n%s", body)
	}
}

func TestTrailerServices_KeepsOnlyNamesThatAreServiceDirectories(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      []string
	}{
		{"none", "subject\n\nContractbot-Fix-Base: x\n", nil},
		{"two", "s\n\n" + fixServicesTrailer + "a b\n", []string{"a", "b"}},
		{"CRLF line ends", "s\r\n\r\n" + fixServicesTrailer + "a b\r\n", []string{"a", "b"}},
		{"repeated names once", fixServicesTrailer + "a a\n" + fixServicesTrailer + "a\n", []string{"a"}},
		{"paths and dot-names left out", fixServicesTrailer + "../x .git a/b ok\n", []string{"ok"}},
		{"the trailer only at a line's start", "see " + fixServicesTrailer + "a\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := trailerServices(tc.msg); !slices.Equal(got, tc.want) {
				t.Fatalf("trailerServices = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzTrailerServices(f *testing.F) {
	f.Add("s\n\n" + fixServicesTrailer + "web worker\n")
	f.Add(fixServicesTrailer + "../x a/b\r\n")
	f.Fuzz(func(t *testing.T, msg string) {
		for _, s := range trailerServices(msg) {
			if !fixableService(s) {
				t.Fatalf("trailerServices(%q) returned %q, which is no service branch name", msg, s)
			}
		}
	})
}

func FuzzParsePushedKey(f *testing.F) {
	f.Add("acme/soa/web@" + strings.Repeat("a", 40))
	f.Add("acme/soa/@")
	f.Fuzz(func(t *testing.T, key string) {
		if s, ok := parsePushedKey("acme", "soa", key); ok && !fixableService(s) {
			t.Fatalf("parsePushedKey(%q) = %q, which is no service branch name", key, s)
		}
	})
}

func TestServicesOf_NamesEachChangedServiceDirectoryOnce(t *testing.T) {
	got := servicesOf([]fix.Change{{Path: "worker/deploy.yaml"}, {Path: "web/deploy.yaml"}, {Path: "web/jenkins.yaml"}})
	if want := []string{"web", "worker"}; !slices.Equal(got, want) {
		t.Fatalf("servicesOf = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"a"}, "`a/`"},
		{[]string{"a", "b"}, "`a/` and `b/`"},
		{[]string{"a", "b", "c"}, "`a/`, `b/` and `c/`"},
	} {
		if got := serviceList(tc.in); got != tc.want {
			t.Errorf("serviceList(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// memState is a [webhook.StateStore] in memory.
type memState map[string][]byte

func (m memState) GetState(_ context.Context, ns, key string) ([]byte, bool, error) {
	v, ok := m[ns+"\x00"+key]
	return v, ok, nil
}
func (m memState) PutState(_ context.Context, ns, key string, v []byte) error {
	m[ns+"\x00"+key] = v
	return nil
}
func (m memState) DeleteState(_ context.Context, ns, key string) error {
	delete(m, ns+"\x00"+key)
	return nil
}
func (m memState) ListState(_ context.Context, ns string, fn func(string, []byte) error) error {
	keys := []string{}
	for k := range m {
		if rest, ok := strings.CutPrefix(k, ns+"\x00"); ok {
			keys = append(keys, rest)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn(k, m[ns+"\x00"+k]); err != nil {
			return err
		}
	}
	return nil
}

var _ webhook.StateStore = memState{}

// fixBranchAt is a [Client] whose fix branch's tip is commit c (none when
// c.SHA is ""); it fakes nothing else (the nil Client).
type fixBranchAt struct {
	Client
	c ghclient.Commit
}

func (f fixBranchAt) RefTarget(context.Context, string, string, string) (string, string, error) {
	if f.c.SHA == "" {
		return "", "missing", nil
	}
	return f.c.SHA, "commit", nil
}

func (f fixBranchAt) GetCommit(context.Context, string, string, string) (ghclient.Commit, error) {
	return f.c, nil
}

func TestPushServices_CoverWhatEveryQueuedPushChangedAndWhatTheBranchFixes(t *testing.T) {
	ctx := context.Background()
	sha1, sha2 := strings.Repeat("1", 40), strings.Repeat("2", 40)
	store := memState{}
	// Two pushes recorded their services; the job merged into one in the
	// queue carries only the second's.
	for _, r := range []struct{ service, sha string }{{"web", sha1}, {"worker", sha2}} {
		if err := store.PutState(ctx, nsFixPRPushed, pushedKey("acme", "soa", r.service, r.sha), nil); err != nil {
			t.Fatal(err)
		}
	}
	store.PutState(ctx, nsFixPRPushed, pushedKey("acme", "other", "elsewhere", sha1), nil)
	j := fixPRJob{Owner: "acme", Repo: "soa", SHA: sha2, DefaultBranch: "master", Push: true, Services: []string{"worker"}}
	own := ghclient.Commit{SHA: strings.Repeat("f", 40), Message: fixCommitMessage(fixPRJob{SHA: sha1, DefaultBranch: "master", Push: true, Services: []string{"batch"}}, nil),
		Committer: ghclient.Identity{Name: fixCommitterName, Email: fixCommitterEmail}}
	theirs := own
	theirs.Committer = ghclient.Identity{Name: "Jane", Email: "jane@example.com"}
	for _, tc := range []struct {
		name string
		tip  ghclient.Commit
		want []string
	}{
		{"no fix branch yet", ghclient.Commit{}, []string{"web", "worker"}},
		{"the App's fix branch adds the services it fixes", own, []string{"batch", "web", "worker"}},
		{"someone else's commit names none", theirs, []string{"web", "worker"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &FixPRs{Store: store}
			got, seen, err := p.pushServices(ctx, fixBranchAt{c: tc.tip}, j)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) || len(seen) != 2 {
				t.Fatalf("services %v (records %v), want %v and this repository's two records", got, seen, tc.want)
			}
		})
	}
	// Once done, the job forgets exactly what it read: a record written
	// meanwhile waits for the next job.
	p := &FixPRs{Store: store}
	_, seen, _ := p.pushServices(ctx, fixBranchAt{}, j)
	store.PutState(ctx, nsFixPRPushed, pushedKey("acme", "soa", "web", strings.Repeat("3", 40)), nil)
	if err := p.forgetPushed(ctx, seen); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := p.pushServices(ctx, fixBranchAt{}, fixPRJob{Owner: "acme", Repo: "soa"}); !slices.Equal(got, []string{"web"}) {
		t.Fatalf("after forgetting: %v, want the newer push's web", got)
	}
}
