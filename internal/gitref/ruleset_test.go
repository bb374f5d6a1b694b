package gitref

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tableRefs reads the ref names of the TestParse and TestParseErr tables
// from gitref_test.go, so that the rulesets are tested against exactly the
// names the parser is, and a name added there is covered here.
func tableRefs(t *testing.T) (valid, malformed []string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "gitref_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("v", MaxImageVersion+1) // the one computed name, `long`
	eval := func(e ast.Expr) (string, bool) {
		var walk func(ast.Expr) (string, bool)
		walk = func(e ast.Expr) (string, bool) {
			switch e := e.(type) {
			case *ast.BasicLit:
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			case *ast.Ident:
				return long, e.Name == "long"
			case *ast.BinaryExpr:
				a, okA := walk(e.X)
				b, okB := walk(e.Y)
				return a + b, okA && okB && e.Op == token.ADD
			}
			return "", false
		}
		return walk(e)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || (fn.Name.Name != "TestParse" && fn.Name.Name != "TestParseErr") {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) < 2 {
				return true
			}
			if _, isKV := cl.Elts[0].(*ast.KeyValueExpr); isKV {
				return true
			}
			name, ok := eval(cl.Elts[1])
			if !ok {
				return true
			}
			if fn.Name.Name == "TestParse" {
				valid = append(valid, name)
			} else {
				malformed = append(malformed, name)
			}
			return false
		})
	}
	if len(valid) < 5 || len(malformed) < 10 {
		t.Fatalf("read %d valid and %d malformed names from gitref_test.go: the tables moved", len(valid), len(malformed))
	}
	return valid, malformed
}

// paastaTag reports what the parser says of a name the tag ruleset
// selects: true for a PaaSTA tag.
func paastaTag(name string) bool {
	r, err := Parse(name)
	return err == nil && (r.Kind == DeployTag || r.Kind == ControlTag)
}

// selected reports whether GitHub would apply the tag ruleset to name and
// let the pattern decide: under refs/tags/paasta- and a name git accepts
// (git refuses the others before any ruleset runs).
func selected(name string) bool {
	return strings.HasPrefix(name, TagPrefix) && CheckRefFormat(name) == nil
}

func TestTagPattern_AcceptsEveryValidTagAndRejectsEveryMalformedOneOfTheParserTables(t *testing.T) {
	re := regexp.MustCompile(TagPattern())
	valid, malformed := tableRefs(t)
	for _, name := range valid {
		switch {
		case strings.HasPrefix(name, TagPrefix):
			if !re.MatchString(name) || !re.MatchString(strings.TrimPrefix(name, "refs/tags/")) {
				t.Errorf("the tag pattern rejects the valid %s", name)
			}
		case strings.HasPrefix(name, BranchPrefix):
			want := Must(Parse(name)).Kind == LegacyBranch
			if got := regexp.MustCompile(BranchPattern()).MatchString(name); got != want && !strings.Contains(name, "/paasta-upgrade/") {
				t.Errorf("branch pattern on %s = %v, want %v", name, got, want)
			}
		}
	}
	checked := 0
	for _, name := range malformed {
		if !selected(name) {
			continue // not a tag name GitHub would see, or one git refuses itself
		}
		checked++
		if re.MatchString(name) || re.MatchString(strings.TrimPrefix(name, "refs/tags/")) {
			t.Errorf("the tag pattern accepts the malformed %s", name)
		}
	}
	if checked < 15 {
		t.Fatalf("only %d malformed names were checked", checked)
	}
}

// Must returns r, ignoring err; for table names known to parse.
func Must(r Ref, _ error) Ref { return r }

func TestTagPattern_AgreesWithTheParserOnRandomAndMutatedNames(t *testing.T) {
	re := regexp.MustCompile(TagPattern())
	branch := regexp.MustCompile(BranchPattern())
	rng := rand.New(rand.NewPCG(17, 19))
	const alphabet = "abcpast-.+_T0123456789/@,Z"
	mutate := func(s string) string {
		b := []byte(s)
		for range 1 + rng.IntN(3) {
			i := len(TagPrefix) - len("paasta-") + rng.IntN(len(b)-len("refs/tags/"))
			switch rng.IntN(3) {
			case 0:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			}
		}
		return string(b)
	}
	agree, total := 0, 0
	for range 20000 {
		r := randomRef(rng)
		name := r.String()
		if r.Kind == LegacyBranch {
			if !branch.MatchString(name) {
				t.Fatalf("the branch pattern rejects %s", name)
			}
			continue
		}
		for _, n := range []string{name, mutate(name), mutate("refs/tags/paasta-paasta-" + strings.TrimPrefix(name, TagPrefix))} {
			if !selected(n) {
				continue
			}
			total++
			if got, want := re.MatchString(n), paastaTag(n); got != want {
				t.Fatalf("pattern says %v, parser says %v, for %q", got, want, n)
			}
			agree++
		}
	}
	if agree < 30000 {
		t.Fatalf("only %d of %d names compared", agree, total)
	}
}

func TestTagPattern_KnowsTheCalendar(t *testing.T) {
	re := regexp.MustCompile(TagPattern())
	for _, year := range []int{1900, 1996, 2000, 2023, 2024, 2100, 2400, 0} {
		for m := 1; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				ts := strconv.Itoa(10000 + year)[1:] + strconv.Itoa(100 + m)[1:] + strconv.Itoa(100 + d)[1:] + "T235959"
				name := "refs/tags/paasta-prod.main-" + ts + "-deploy"
				real := m <= 12 && d >= 1 && d <= time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
				if re.MatchString(name) != real || paastaTag(name) != real {
					t.Errorf("%s: pattern %v, parser %v, want %v", ts, re.MatchString(name), paastaTag(name), real)
				}
			}
		}
	}
}

func TestRulesets_SelectPaastaRefsAndUseRE2(t *testing.T) {
	for _, rs := range []Ruleset{TagRuleset(false), BranchRuleset(true)} {
		p := rs.Rules[0].Parameters
		if _, err := regexp.Compile(p.Pattern); err != nil || p.Operator != "regex" {
			t.Fatalf("%s: pattern %q: %v", rs.Name, p.Pattern, err)
		}
		if len(p.Pattern) > 4000 {
			t.Errorf("%s: pattern is %d bytes", rs.Name, len(p.Pattern))
		}
	}
	if inc := TagRuleset(false).Conditions.RefName.Include; inc[0] != "refs/tags/paasta-*" {
		t.Fatalf("tag ruleset includes %v", inc)
	}
	if TagRuleset(true).Conditions.RepositoryName == nil || TagRuleset(false).Conditions.RepositoryName != nil {
		t.Fatal("only an organisation ruleset names repositories")
	}
}
