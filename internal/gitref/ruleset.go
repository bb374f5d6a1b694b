package gitref

import (
	"regexp"
	"strconv"
	"strings"
)

// Rulesets: GitHub can refuse a malformed deploy ref at push time, which a
// webhook cannot. A repository or organisation ruleset whose target is tags
// (or branches), whose condition selects refs/tags/paasta-*, and whose
// tag_name_pattern rule has operator "regex" makes GitHub reject every
// selected name that does not match the pattern. GitHub evaluates these
// patterns with RE2 syntax (no lookahead), as Go's regexp does, so the
// patterns below are tested with Go's regexp against the grammar.
//
// What the patterns check is exactly [Parse]'s grammar for names git
// accepts: the prefix, the deploy group alphabet and the doubled paasta-
// prefix, the image version and its length, the control tag's
// <cluster>.<instance>, and the timestamp down to the calendar (month 13,
// day 31 of April and 29 February outside leap years are refused). What no
// name pattern can check: that the deploy group is a step of the service's
// deploy.yaml, that the tag points at a commit (not an annotated tag
// object), and that the image was pushed. Those stay with the pre-receive
// hook and the App's deploy-ref guard. Git itself refuses names such as
// "a..b" before any ruleset runs, so the patterns do not repeat git's rules.

// groupChars is the deploy group alphabet, [a-zA-Z0-9_.-].
const groupChars = "A-Za-z0-9_.-"

// without returns a character class of chars (a class body like "A-Za-z")
// minus the one byte c, spelled for RE2, which has no class subtraction.
func without(chars string, c byte) string {
	var set [256]bool
	for i := 0; i < len(chars); i++ {
		if i+2 < len(chars) && chars[i+1] == '-' {
			for b := int(chars[i]); b <= int(chars[i+2]); b++ {
				set[b] = true
			}
			i += 2
			continue
		}
		set[chars[i]] = true
	}
	set[c] = false
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < 256; {
		if !set[i] {
			i++
			continue
		}
		j := i
		for j+1 < 256 && set[j+1] {
			j++
		}
		b.WriteString(classByte(byte(i)))
		if j > i+1 {
			b.WriteByte('-')
		}
		if j > i {
			b.WriteString(classByte(byte(j)))
		}
		i = j + 1
	}
	b.WriteByte(']')
	return b.String()
}

func classByte(c byte) string {
	if strings.IndexByte(`\]-^[`, c) >= 0 {
		return `\` + string(c)
	}
	return string(c)
}

// notPaasta returns a pattern for the names of body that do not start with
// "paasta-": for each k, the first k bytes of "paasta-" and then a byte
// that differs from the next one, or a name that is a proper prefix of
// "paasta-". first is the class of a group's first bytes (before any
// dot for a control tag), rest matches what may follow the differing byte,
// and prefixTail is what must follow a name that is all prefix ("" means a
// bare prefix is a whole name).
func notPaasta(first, rest, prefixTail string) string {
	const p = "paasta-"
	var alts []string
	for k := 0; k < len(p); k++ {
		alts = append(alts, regexp.QuoteMeta(p[:k])+without(first, p[k])+rest)
		if k > 0 {
			alts = append(alts, regexp.QuoteMeta(p[:k])+prefixTail)
		}
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

// timestampPattern matches YYYYmmddTHHMMSS for real UTC times: months 01-12,
// the days each month has, 29 February only in leap years (divisible by 4,
// centuries only when divisible by 400), hours 00-23, minutes and seconds
// 00-59.
const timestampPattern = `(?:\d{4}(?:(?:0[13578]|1[02])(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)(?:0[1-9]|[12]\d|30)|02(?:0[1-9]|1\d|2[0-8]))` +
	`|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)0229)` +
	`T(?:[01]\d|2[0-3])[0-5]\d[0-5]\d`

// TagPattern returns the RE2 pattern that a PaaSTA tag name matches and
// every malformed refs/tags/paasta-* name does not. It accepts the name with
// or without "refs/tags/", whichever GitHub matches against.
func TagPattern() string {
	noDot := strings.ReplaceAll(groupChars, ".", "")
	deployGroup := notPaasta(groupChars, "["+groupChars+"]*", "")
	// A control tag's group is <cluster>.<instance>: a first dot that is
	// neither its first nor its last byte.
	controlGroup := notPaasta(noDot, "["+noDot+"]*\\.["+groupChars+"]+", "\\.["+groupChars+"]+")
	version := "[" + groupChars + "]{1," + strconv.Itoa(MaxImageVersion) + "}"
	return `^(?:refs/tags/)?paasta-(?:` +
		deployGroup + `(?:\+` + version + `)?-` + timestampPattern + `-(?:deploy|rollback)` +
		`|` + controlGroup + `-` + timestampPattern + `-(?:start|stop)` +
		`)$`
}

// BranchPattern returns the RE2 pattern of a legacy deploy branch name,
// paasta-<deploy_group>, with or without "refs/heads/".
func BranchPattern() string {
	return `^(?:refs/heads/)?paasta-[` + groupChars + `]+$`
}

// Ruleset is the body of GitHub's create-ruleset request (repository or
// organisation), as contractbot generates it.
type Ruleset struct {
	Name        string           `json:"name"`
	Target      string           `json:"target"`
	Enforcement string           `json:"enforcement"`
	Conditions  RulesetCondition `json:"conditions"`
	Rules       []RulesetRule    `json:"rules"`
}

// RulesetCondition selects the refs (and, for an organisation ruleset, the
// repositories) a ruleset applies to.
type RulesetCondition struct {
	RefName        IncludeExclude  `json:"ref_name"`
	RepositoryName *IncludeExclude `json:"repository_name,omitempty"`
}

// IncludeExclude lists fnmatch patterns (GitHub's "~ALL" means everything).
type IncludeExclude struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

// RulesetRule is one rule of a ruleset.
type RulesetRule struct {
	Type       string             `json:"type"`
	Parameters *RulesetParameters `json:"parameters,omitempty"`
}

// RulesetParameters are a name-pattern rule's parameters.
type RulesetParameters struct {
	Name     string `json:"name,omitempty"`
	Negate   bool   `json:"negate"`
	Operator string `json:"operator"`
	Pattern  string `json:"pattern"`
}

// TagRuleset returns the ruleset that makes GitHub refuse malformed PaaSTA
// tags. GitHub's fnmatch "*" does not cross "/", so the condition lists
// names with slashes separately: a tag like paasta-a/b-... is malformed too.
// org selects every repository, for an organisation ruleset.
func TagRuleset(org bool) Ruleset {
	rs := Ruleset{
		Name: "PaaSTA deploy tags", Target: "tag", Enforcement: "active",
		Conditions: RulesetCondition{RefName: IncludeExclude{Include: []string{"refs/tags/paasta-*", "refs/tags/paasta-*/**/*"}, Exclude: []string{}}},
		Rules: []RulesetRule{{Type: "tag_name_pattern", Parameters: &RulesetParameters{
			Name: "PaaSTA deploy tag grammar (contractbot rulesets)", Operator: "regex", Pattern: TagPattern(),
		}}},
	}
	if org {
		rs.Conditions.RepositoryName = &IncludeExclude{Include: []string{"~ALL"}, Exclude: []string{}}
	}
	return rs
}

// BranchRuleset returns the ruleset that refuses branch names
// paasta-<x> whose <x> is not a deploy group. It selects only names
// without "/" (fnmatch "*"), so branches like paasta-upgrade/step-1 stay
// ordinary branches, as [Parse] treats them.
func BranchRuleset(org bool) Ruleset {
	rs := Ruleset{
		Name: "PaaSTA deploy branches", Target: "branch", Enforcement: "active",
		Conditions: RulesetCondition{RefName: IncludeExclude{Include: []string{"refs/heads/paasta-*"}, Exclude: []string{}}},
		Rules: []RulesetRule{{Type: "branch_name_pattern", Parameters: &RulesetParameters{
			Name: "PaaSTA deploy branch grammar (contractbot rulesets)", Operator: "regex", Pattern: BranchPattern(),
		}}},
	}
	if org {
		rs.Conditions.RepositoryName = &IncludeExclude{Include: []string{"~ALL"}, Exclude: []string{}}
	}
	return rs
}

// RulesetLimits says, for the command's output and the docs, what the
// rulesets cannot check.
const RulesetLimits = "A name pattern checks the name only. It cannot check that the deploy group is a step of the " +
	"service's deploy.yaml, that the tag points at a commit rather than an annotated tag object, or that the image " +
	"services-<service>:paasta-<sha> exists: the App's deploy-ref guard and the pre-receive hook check those. " +
	"Dates are checked against the calendar (no month 13, no 31 April, 29 February only in leap years)."
