package gitref

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func ts(s string) time.Time {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		ref  string
		want Ref
	}{
		{"a deploy tag gives its group, time and state", "refs/tags/paasta-prod.main-20260102T030405-deploy",
			Ref{Kind: DeployTag, DeployGroup: "prod.main", Time: ts("20260102T030405"), State: StateDeploy}},
		{"an image version follows a plus", "refs/tags/paasta-prod.main+v2.1_rc-3-20260102T030405-deploy",
			Ref{Kind: DeployTag, DeployGroup: "prod.main", ImageVersion: "v2.1_rc-3", Time: ts("20260102T030405"), State: StateDeploy}},
		{"a deploy group may contain dashes", "refs/tags/paasta-us-west-2-canary-20261231T235959-deploy",
			Ref{Kind: DeployTag, DeployGroup: "us-west-2-canary", Time: ts("20261231T235959"), State: StateDeploy}},
		{"a rollback tag is a deploy tag with state rollback", "refs/tags/paasta-everything+x-20260102T030405-rollback",
			Ref{Kind: DeployTag, DeployGroup: "everything", ImageVersion: "x", Time: ts("20260102T030405"), State: StateRollback}},
		{"a stop tag names an instance", "refs/tags/paasta-norcal-devc.main-20260102T030405-stop",
			Ref{Kind: ControlTag, DeployGroup: "norcal-devc.main", Time: ts("20260102T030405"), State: StateStop}},
		{"a start tag names an instance", "refs/tags/paasta-c.i-20240229T000000-start",
			Ref{Kind: ControlTag, DeployGroup: "c.i", Time: ts("20240229T000000"), State: StateStart}},
		{"a legacy branch names a deploy group", "refs/heads/paasta-norcal-prod.main",
			Ref{Kind: LegacyBranch, DeployGroup: "norcal-prod.main", State: StateDeploy}},
		{"a branch that only starts with paasta- is an ordinary branch", "refs/heads/paasta-upgrade/step-1", Ref{}},
		{"the default branch is not a PaaSTA ref", "refs/heads/main", Ref{}},
		{"an ordinary tag is not a PaaSTA ref", "refs/tags/v1.2.3", Ref{}},
		{"a tag named paasta without a dash is not a PaaSTA ref", "refs/tags/paasta", Ref{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", tt.ref, got, tt.want)
			}
			if got.Kind != Other && got.String() != tt.ref {
				t.Fatalf("String() = %q, want %q", got.String(), tt.ref)
			}
		})
	}
}

func TestParseErr(t *testing.T) {
	long := strings.Repeat("v", MaxImageVersion+1)
	tests := []struct {
		name string
		ref  string
		col  int
		msg  string
	}{
		{"a dashed date is a bad timestamp", "refs/tags/paasta-prod.main-2026-01-01-deploy", 28, `bad timestamp "2026-01-01": want YYYYmmddTHHMMSS`},
		{"month 13 does not exist", "refs/tags/paasta-prod.main-20261301T000000-deploy", 32, "there is no month 13"},
		{"February 30 does not exist", "refs/tags/paasta-prod.main-20260230T000000-deploy", 34, "February 2026 has no day 30"},
		{"February 29 exists only in leap years", "refs/tags/paasta-prod.main-20250229T000000-deploy", 34, "February 2025 has no day 29"},
		{"hour 24 does not exist", "refs/tags/paasta-prod.main-20260101T240000-deploy", 37, "there is no hour 24"},
		{"second 60 does not exist", "refs/tags/paasta-prod.main-20260101T000060-deploy", 41, "there is no second 60"},
		{"a missing timestamp is named", "refs/tags/paasta-prod.main-deploy", 27, "no timestamp before -deploy"},
		{"a timestamp glued to the group is named", "refs/tags/paasta-prod20260101T000000-deploy", 22, "no - between the deploy group and the timestamp"},
		{"a short timestamp is a bad timestamp", "refs/tags/paasta-prod-2026010T000000-deploy", 23, `bad timestamp "2026010T000000"`},
		{"an unknown action is named", "refs/tags/paasta-prod-20260101T000000-deploi", 39, `unknown action "deploi"`},
		{"no suffix at all", "refs/tags/paasta-prod", 22, "no -<YYYYmmddTHHMMSS>-deploy suffix"},
		{"an empty deploy group", "refs/tags/paasta--20260101T000000-deploy", 18, "empty deploy group"},
		{"a doubled prefix is named", "refs/tags/paasta-paasta-prod-20260101T000000-deploy", 18, "doubled paasta- prefix"},
		{"a plus in a control tag", "refs/tags/paasta-c.i+v1-20260101T000000-start", 21, "carries no image version"},
		{"a control tag needs cluster.instance", "refs/tags/paasta-main-20260101T000000-stop", 18, "<cluster>.<instance>"},
		{"an empty image version", "refs/tags/paasta-prod+-20260101T000000-deploy", 23, "empty image version"},
		{"an image version with a character Docker forbids", "refs/tags/paasta-prod+v1@x-20260101T000000-deploy", 25, `image version has '@'`},
		{"an image version too long for a Docker tag", "refs/tags/paasta-prod+" + long + "-20260101T000000-deploy", 23, "would exceed Docker's 128"},
		{"a deploy group with a character PaaSTA forbids", "refs/tags/paasta-prod,main-20260101T000000-deploy", 22, `deploy group has ','`},
		{"a space, which git forbids", "refs/tags/paasta-prod main-20260101T000000-deploy", 22, "git forbids spaces"},
		{"a tilde, which git forbids", "refs/tags/paasta-prod~1-20260101T000000-deploy", 22, `git forbids '~'`},
		{"a double dot, which git forbids", "refs/tags/paasta-prod..main-20260101T000000-deploy", 22, `git forbids ".."`},
		{"a .lock component, which git forbids", "refs/tags/paasta-x.lock", 19, `ends with ".lock"`},
		{"a short name is not a full ref name", "paasta-prod-20260101T000000-deploy", 1, "not a full ref name"},
		{"an empty name", "", 0, "empty ref name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.ref)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q) = %v, want an *Error", tt.ref, err)
			}
			if e.Col != tt.col || !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("Parse(%q) error at column %d: %s\nwant column %d: %s", tt.ref, e.Col, e.Msg, tt.col, tt.msg)
			}
			if strings.ContainsAny(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

// TestCheckRefFormatAgreesWithGit asks the real git about every name in the
// parser's tables and a few thousand random ones.
func TestCheckRefFormatAgreesWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("CONTRACTBOT_REQUIRE_ITEST=1 but git is not installed")
		}
		t.Skip("git not installed")
	}
	names := []string{
		"refs/heads/main", "refs/tags/paasta-x", "refs/heads/a.lock", "refs/heads/.a", "refs/heads/a.",
		"refs/heads/a..b", "refs/heads/a b", "refs/heads/a~", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?",
		"refs/heads/a*", "refs/heads/a[", "refs/heads/a\\b", "refs/heads/a@{1}", "refs/heads/@", "@", "main",
		"/refs/heads/a", "refs/heads/a/", "refs//heads", "refs/heads/a\x7f", "refs/heads/a\tb", "refs/heads/a.lock/b",
		"refs/heads/.lock", "refs/heads/a@b", "refs/heads/ü", "refs/heads/a/.b", "refs/.heads/a", "refs/heads/a.b.lockx",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab./-@{}.~:^?*[\\ lock\x01"
	for range 3000 {
		var b strings.Builder
		b.WriteString("refs/")
		for range rng.IntN(12) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		names = append(names, b.String())
	}
	// One git process checks all names: feed them through a shell loop.
	script := `while IFS= read -r n; do if git check-ref-format "$n"; then echo ok; else echo bad; fi; done`
	cmd := exec.Command("sh", "-c", script)
	var in strings.Builder
	var valid []string
	for _, n := range names {
		if strings.ContainsAny(n, "\n\x00") {
			continue
		}
		in.WriteString(n + "\n")
		valid = append(valid, n)
	}
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	verdicts := strings.Fields(string(out))
	if len(verdicts) != len(valid) {
		t.Fatalf("%d verdicts for %d names", len(verdicts), len(valid))
	}
	for i, n := range valid {
		gitOK := verdicts[i] == "ok"
		err := CheckRefFormat(n)
		if gitOK != (err == nil) {
			t.Errorf("CheckRefFormat(%q) = %v, git says ok=%v", n, err, gitOK)
		}
	}
}

// randomRef returns a valid PaaSTA ref built from random parts.
func randomRef(rng *rand.Rand) Ref {
	word := func(alpha string, min, max int) string {
		n := min + rng.IntN(max-min+1)
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	const lower = "abcdefghijklmnopqrstuvwxyz0123456789"
	const group = lower + "ABCZ_-"
	segment := func() string { return word(lower, 1, 1) + word(group, 0, 10) }
	r := Ref{
		DeployGroup: segment() + "." + segment(),
		Time:        time.Unix(rng.Int64N(4102444800), 0).UTC(),
	}
	switch rng.IntN(3) {
	case 0:
		r.Kind = DeployTag
		r.State = []State{StateDeploy, StateRollback}[rng.IntN(2)]
		if rng.IntN(2) == 0 {
			r.ImageVersion = word(group+".", 1, MaxImageVersion)
		}
	case 1:
		r.Kind, r.State = ControlTag, []State{StateStart, StateStop}[rng.IntN(2)]
	default:
		r.Kind, r.State, r.Time = LegacyBranch, StateDeploy, time.Time{}
	}
	if r.DeployGroup != "" && strings.HasSuffix(r.DeployGroup, ".") {
		r.DeployGroup += "x"
	}
	return r
}

func TestParseFormatRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		r := randomRef(rng)
		name := r.String()
		got, err := Parse(name)
		if err != nil {
			// A random group may contain ".." or end in ".lock", which git
			// forbids; such refs cannot exist and need not round-trip.
			if CheckRefFormat(name) != nil {
				continue
			}
			t.Fatalf("Parse(%q): %v", name, err)
		}
		if got != r {
			t.Fatalf("Parse(String(%+v)) = %+v", r, got)
		}
		if got.String() != name {
			t.Fatalf("String(Parse(%q)) = %q", name, got.String())
		}
	}
}

func TestImage(t *testing.T) {
	sha := strings.Repeat("ab", 20)
	tests := []struct {
		name, ref, service, repo, tag string
	}{
		{"a plain deploy tag names paasta-<sha>", "refs/tags/paasta-prod-20260101T000000-deploy", "web", "services-web", "paasta-" + sha},
		{"an image version is appended after a dash", "refs/tags/paasta-prod+v2-20260101T000000-deploy", "web", "services-web", "paasta-" + sha + "-v2"},
		{"a services- prefix on the service is not doubled", "refs/heads/paasta-prod", "services-web", "services-web", "paasta-" + sha},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			repo, tag := r.Image(tt.service, sha)
			if repo != tt.repo || tag != tt.tag {
				t.Fatalf("Image = %s:%s, want %s:%s", repo, tag, tt.repo, tt.tag)
			}
		})
	}
	long := "refs/tags/paasta-prod+" + strings.Repeat("v", MaxImageVersion) + "-20260101T000000-deploy"
	r, err := Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	if _, tag := r.Image("web", sha); len(tag) != MaxDockerTag {
		t.Fatalf("the longest accepted image version gives a %d-character tag, want %d", len(tag), MaxDockerTag)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"refs/tags/paasta-prod.main-20260102T030405-deploy",
		"refs/tags/paasta-prod.main+v2-20260102T030405-rollback",
		"refs/tags/paasta-c.i-20260102T030405-stop",
		"refs/heads/paasta-c.i",
		"refs/tags/paasta-prod.main-2026-01-01-deploy",
		"refs/tags/paasta-prod.main-20261301T000000-deploy",
		"refs/heads/main",
		"refs/tags/paasta--20260101T000000-start",
		"paasta-x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r, err := Parse(name)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Col < 0 || e.Col > len(name)+1 || e.Msg == "" {
				t.Fatalf("Parse(%q): bad error %#v", name, err)
			}
			return
		}
		if CheckRefFormat(name) != nil {
			t.Fatalf("Parse accepted %q, which git forbids", name)
		}
		if r.Kind == Other {
			return
		}
		if r.String() != name {
			t.Fatalf("String(Parse(%q)) = %q", name, r.String())
		}
		again, err := Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("Parse(String(%+v)) = %+v, %v", r, again, err)
		}
	})
}
