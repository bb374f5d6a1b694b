// Package gitref parses, formats and explains the git ref names PaaSTA
// deploys with: deploy and rollback tags, start/stop control tags and the
// legacy deploy branches, and the Docker image a deploy ref names.
//
// The grammar, from PaaSTA's mark-for-deployment and start/stop commands:
//
//	refs/tags/paasta-<deploy_group>[+<image_version>]-<YYYYmmddTHHMMSS>-deploy
//	refs/tags/paasta-<deploy_group>[+<image_version>]-<YYYYmmddTHHMMSS>-rollback
//	refs/tags/paasta-<cluster>.<instance>-<YYYYmmddTHHMMSS>-start
//	refs/tags/paasta-<cluster>.<instance>-<YYYYmmddTHHMMSS>-stop
//	refs/heads/paasta-<deploy_group>     (before 2016: force-pushed branches)
//
// The timestamp is UTC. The commit at a deploy ref's tip locates the image
// services-<service>:paasta-<sha>[-<image_version>].
package gitref

import (
	"fmt"
	"strings"
	"time"
)

// Kind says which PaaSTA ref a name is.
type Kind uint8

// The kinds of ref. Other is every name that is not a PaaSTA ref.
const (
	Other        Kind = iota
	DeployTag         // refs/tags/paasta-<group>[+<version>]-<ts>-deploy or -rollback
	ControlTag        // refs/tags/paasta-<cluster>.<instance>-<ts>-start or -stop
	LegacyBranch      // refs/heads/paasta-<group>
)

// String names the kind in words, as messages use it.
func (k Kind) String() string {
	switch k {
	case DeployTag:
		return "deploy tag"
	case ControlTag:
		return "control tag"
	case LegacyBranch:
		return "legacy deploy branch"
	}
	return "other ref"
}

// State is the desired state a PaaSTA ref asks for: the last word of a tag.
type State string

// The desired states. A legacy deploy branch always means StateDeploy.
const (
	StateDeploy   State = "deploy"
	StateRollback State = "rollback"
	StateStart    State = "start"
	StateStop     State = "stop"
)

// TimeLayout is the layout of the timestamp in PaaSTA tags (always UTC).
const TimeLayout = "20060102T150405"

// The prefixes of PaaSTA refs.
const (
	TagPrefix    = "refs/tags/paasta-"
	BranchPrefix = "refs/heads/paasta-"
)

// Docker limits an image tag to 128 characters ([\w][\w.-]{0,127}). A
// PaaSTA image tag is "paasta-" + a 40-digit commit id + "-" + the image
// version, which leaves MaxImageVersion characters for the version.
const (
	MaxDockerTag    = 128
	MaxImageVersion = MaxDockerTag - len("paasta-") - 40 - len("-")
)

// Ref is a parsed PaaSTA ref name. The zero value is an Other ref.
//
// Example: refs/tags/paasta-prod.main+v2-20260102T030405-deploy is
// Ref{Kind: DeployTag, DeployGroup: "prod.main", ImageVersion: "v2",
// Time: 2026-01-02 03:04:05 UTC, State: StateDeploy}.
type Ref struct {
	Kind Kind
	// DeployGroup is the deploy group (a deploy step of deploy.yaml); for a
	// control tag it is the instance, "<cluster>.<instance>".
	DeployGroup string
	// ImageVersion is the optional image version of a deploy or rollback tag.
	ImageVersion string
	// Time is the tag's timestamp in UTC; zero for a legacy branch.
	Time time.Time
	// State is the desired state; StateDeploy for a legacy branch.
	State State
}

// Deploys reports whether pushing r deploys an image: a deploy tag whose
// state is deploy, or a legacy deploy branch.
func (r Ref) Deploys() bool {
	return (r.Kind == DeployTag && r.State == StateDeploy) || r.Kind == LegacyBranch
}

// String formats r as a full ref name; it is the inverse of [Parse] for
// every ref Parse accepts. An Other ref formats as "".
func (r Ref) String() string {
	switch r.Kind {
	case DeployTag, ControlTag:
		var b strings.Builder
		b.WriteString(TagPrefix)
		b.WriteString(r.DeployGroup)
		if r.ImageVersion != "" {
			b.WriteByte('+')
			b.WriteString(r.ImageVersion)
		}
		b.WriteByte('-')
		b.WriteString(r.Time.UTC().Format(TimeLayout))
		b.WriteByte('-')
		b.WriteString(string(r.State))
		return b.String()
	case LegacyBranch:
		return BranchPrefix + r.DeployGroup
	}
	return ""
}

// Image returns the Docker repository and tag that a deploy of commit sha
// through r names: services-<service> and paasta-<sha>[-<image_version>].
func (r Ref) Image(service, sha string) (repository, tag string) {
	return ImageRepository(service), ImageTag(sha, r.ImageVersion)
}

// ImageRepository is the registry-relative repository of a service's
// images, services-<service>. A service given as services-<name> is taken
// as <name>, as paasta mark-for-deployment does.
func ImageRepository(service string) string {
	return "services-" + strings.TrimPrefix(service, "services-")
}

// ImageTag is the tag of the image built from commit sha:
// paasta-<sha>, or paasta-<sha>-<image_version>.
func ImageTag(sha, imageVersion string) string {
	if imageVersion == "" {
		return "paasta-" + sha
	}
	return "paasta-" + sha + "-" + imageVersion
}

// The valid forms, quoted in error messages.
const (
	wantDeploy  = "refs/tags/paasta-<deploy_group>[+<version>]-<YYYYmmddTHHMMSS>-deploy"
	wantControl = "refs/tags/paasta-<cluster>.<instance>-<YYYYmmddTHHMMSS>-start"
)

// Error says what is wrong with a ref name. Col is the 1-based byte column
// in Ref where the problem starts; Want, when set, is the valid form.
//
// Example: for refs/tags/paasta-prod.main-2026-01-01-deploy, Col is 28 (the
// "2" of the date) and Msg says the timestamp must be YYYYmmddTHHMMSS.
type Error struct {
	Ref  string
	Col  int
	Msg  string
	Want string
}

// Error renders the problem as one line: "<ref>: column <n>: <msg>; want <form>".
func (e *Error) Error() string {
	s := fmt.Sprintf("%s: column %d: %s", e.Ref, e.Col, e.Msg)
	if e.Want != "" {
		s += "; want " + e.Want
	}
	return s
}

// Parse parses a full ref name. A name that is not a PaaSTA ref comes back
// as an Other ref and a nil error, unless git itself forbids the name. A
// name that starts like a PaaSTA tag (refs/tags/paasta-) but breaks the
// grammar gives an *Error that says what is wrong and where.
//
// A refs/heads/paasta-<x> branch is a legacy deploy branch only when <x> is
// a valid deploy group; otherwise it is an ordinary branch (for example
// refs/heads/paasta-upgrade/step-1), since branches are not deploy refs
// today and must not be refused for looking like one.
func Parse(name string) (Ref, error) {
	if !strings.HasPrefix(name, "refs/") && strings.HasPrefix(name, "paasta-") {
		return Ref{}, &Error{Ref: name, Col: 1, Msg: "not a full ref name: deploy tags live under refs/tags/", Want: "refs/tags/" + name}
	}
	if err := CheckRefFormat(name); err != nil {
		return Ref{}, err
	}
	switch {
	case strings.HasPrefix(name, BranchPrefix):
		group := name[len(BranchPrefix):]
		if badGroupChar(group) >= 0 || group == "" {
			return Ref{}, nil
		}
		return Ref{Kind: LegacyBranch, DeployGroup: group, State: StateDeploy}, nil
	case strings.HasPrefix(name, TagPrefix):
		return parseTag(name)
	}
	return Ref{}, nil
}

// parseTag parses refs/tags/paasta-..., reading from the right: the state,
// then the timestamp (fixed width), then the deploy group and version.
func parseTag(name string) (Ref, error) {
	off := len(TagPrefix) // byte offset of rest in name
	rest := name[off:]
	fail := func(i int, want, format string, args ...any) (Ref, error) {
		return Ref{}, &Error{Ref: name, Col: off + i + 1, Msg: fmt.Sprintf(format, args...), Want: want}
	}
	dash := strings.LastIndexByte(rest, '-')
	if dash < 0 {
		return fail(len(rest), wantDeploy, "no -<YYYYmmddTHHMMSS>-deploy suffix")
	}
	r := Ref{State: State(rest[dash+1:])}
	want := wantDeploy
	switch r.State {
	case StateDeploy, StateRollback:
		r.Kind = DeployTag
	case StateStart, StateStop:
		r.Kind, want = ControlTag, wantControl
	default:
		return fail(dash+1, wantDeploy, "unknown action %q: a PaaSTA tag ends in -deploy, -rollback, -start or -stop", rest[dash+1:])
	}
	head := rest[:dash]

	// The timestamp: exactly the 15 bytes before the state, after a "-".
	const tsLen = len(TimeLayout)
	tsAt := len(head) - tsLen
	if tsAt < 0 || !tsShape(head[tsAt:]) {
		start := len(head)
		for start > 0 && strings.IndexByte("0123456789TZ:-", head[start-1]) >= 0 {
			start--
		}
		for start < len(head) && head[start] == '-' {
			start++
		}
		if start == len(head) {
			return fail(len(head), want, "no timestamp before -%s: add -YYYYmmddTHHMMSS (UTC)", r.State)
		}
		return fail(start, want, "bad timestamp %q: want YYYYmmddTHHMMSS in UTC, like 20260102T030405", head[start:])
	}
	if tsAt == 0 || head[tsAt-1] != '-' {
		return fail(tsAt, want, "no - between the deploy group and the timestamp")
	}
	t, col, msg := parseTimestamp(head[tsAt:])
	if msg != "" {
		return fail(tsAt+col, want, "bad timestamp %q: %s", head[tsAt:], msg)
	}
	r.Time = t
	group := head[:tsAt-1]

	if plus := strings.IndexByte(group, '+'); plus >= 0 {
		if r.Kind == ControlTag {
			return fail(plus, want, "a %s tag carries no image version (no +)", r.State)
		}
		iv := group[plus+1:]
		switch {
		case iv == "":
			return fail(plus+1, want, "empty image version after +: drop the + or name the version")
		case len(iv) > MaxImageVersion:
			return fail(plus+1, want, "image version is %d characters: the image tag paasta-<sha>-<version> would exceed Docker's %d (at most %d)", len(iv), MaxDockerTag, MaxImageVersion)
		}
		if i := badTagChar(iv); i >= 0 {
			return fail(plus+1+i, want, "image version has %q: a Docker tag allows only letters, digits, _, . and -", iv[i])
		}
		r.ImageVersion = iv
		group = group[:plus]
	}
	switch {
	case group == "":
		return fail(0, want, "empty deploy group")
	case strings.HasPrefix(group, "paasta-"):
		return fail(0, want, "doubled paasta- prefix: PaaSTA would not find this tag")
	}
	if i := badGroupChar(group); i >= 0 {
		return fail(i, want, "deploy group has %q: allowed are letters, digits, _, . and -", group[i])
	}
	if r.Kind == ControlTag {
		if dot := strings.IndexByte(group, '.'); dot <= 0 || dot == len(group)-1 {
			return fail(0, want, "a %s tag names an instance as <cluster>.<instance>, found %q", r.State, group)
		}
	}
	r.DeployGroup = group
	return r, nil
}

// tsShape reports whether s looks like YYYYmmddTHHMMSS: eight digits, T,
// six digits.
func tsShape(s string) bool {
	if len(s) != len(TimeLayout) || s[8] != 'T' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// parseTimestamp checks the fields of a well-shaped timestamp one by one,
// so that the message names the field (and its column) that is out of
// range instead of quoting time.Parse.
func parseTimestamp(s string) (t time.Time, col int, msg string) {
	num := func(i, n int) int {
		v := 0
		for _, c := range s[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(4, 2), num(6, 2)
	hour, minute, sec := num(9, 2), num(11, 2), num(13, 2)
	switch {
	case month < 1 || month > 12:
		return t, 4, fmt.Sprintf("there is no month %02d", month)
	case day < 1 || day > daysIn(year, time.Month(month)):
		return t, 6, fmt.Sprintf("%s %04d has no day %02d", time.Month(month), year, day)
	case hour > 23:
		return t, 9, fmt.Sprintf("there is no hour %02d", hour)
	case minute > 59:
		return t, 11, fmt.Sprintf("there is no minute %02d", minute)
	case sec > 59:
		return t, 13, fmt.Sprintf("there is no second %02d", sec)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), 0, ""
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// badGroupChar returns the index of the first byte of s outside
// [a-zA-Z0-9._-] (PaaSTA's deploy group and deploy step alphabet), or -1.
func badGroupChar(s string) int {
	for i := 0; i < len(s); i++ {
		if !wordByte(s[i]) && s[i] != '.' && s[i] != '-' {
			return i
		}
	}
	return -1
}

// badTagChar returns the index of the first byte of s that a Docker tag
// does not allow ([\w.-]), or -1.
func badTagChar(s string) int { return badGroupChar(s) }

func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
