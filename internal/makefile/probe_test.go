package makefile

import (
	"context"
	"testing"
)

// The tests use the PaaSTA contract's names as examples of a variable and
// of targets; the package itself knows none of them (internal/checks
// computes the contract's facts from the same queries as probe).
const (
	tagVar          = "DOCKER_TAG"
	TargetTest      = "test"
	TargetItest     = "itest"
	TargetCookImage = "cook-image"
)

var probedTargets = []string{TargetTest, TargetItest, TargetCookImage}

// varFacts is what the tests ask about one variable, as GNU make can be
// asked it too.
type varFacts struct {
	Defined     bool // set by the makefiles (origin file or override)
	Conditional bool // a value in the environment wins
	// Default is the expanded value; nil when undefined, shell-dependent
	// or when expanding it fails.
	Default        *string
	Exported       bool
	ShellDependent bool
}

// targetFacts is what the tests ask about one target.
type targetFacts struct {
	How string
	// Uses is nil when the target is undefined.
	Uses *bool
	// Builds: `make -n target` gets through (the target has a rule and
	// BuildError finds nothing).
	Builds bool
}

type probed struct {
	DB  *Database
	Var varFacts
	// VarErr is the error make stops on expanding the variable (the
	// oracle's probe expands it), or nil.
	VarErr  error
	Targets map[string]targetFacts
}

// probe reads name with cfg and asks the package's queries about tagVar
// and probedTargets.
func probe(t testing.TB, ctx context.Context, cfg Config, name string) *probed {
	t.Helper()
	db, err := Read(ctx, cfg, name)
	if err != nil {
		t.Fatal(err)
	}
	p := &probed{DB: db, Targets: map[string]targetFacts{}}
	for _, tg := range probedTargets {
		tf := targetFacts{How: db.How(tg)}
		if tf.How != HowNone {
			u := db.References(tg, tagVar)
			tf.Uses = &u
			tf.Builds = db.BuildError(tg) == nil
		}
		p.Targets[tg] = tf
	}
	if v := db.Vars[tagVar]; v != nil && !v.Private && (v.Origin == OriginFile || v.Origin == OriginOverride) {
		p.Var.Defined = true
		val, tainted, xerr := db.ExpandErr("$(" + tagVar + ")")
		p.VarErr = xerr
		p.Var.ShellDependent = tainted || v.ShellDependent
		if !p.Var.ShellDependent && xerr == nil {
			p.Var.Default = &val
		}
		if v.Export != nil {
			p.Var.Exported = *v.Export
		} else {
			p.Var.Exported = db.ExportAll
		}
		if p.Var.Conditional, _, err = db.EnvironmentWins(ctx, tagVar); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// fails reports whether the analysis finds that make stops: while reading,
// or while building one of the probed targets that has a rule.
func (p *probed) fails() bool {
	if len(p.DB.Errors) > 0 || len(p.DB.MissingIncludes) > 0 || p.VarErr != nil || p.DB.exportError() != nil {
		return true
	}
	for _, tf := range p.Targets {
		if tf.How != HowNone && !tf.Builds {
			return true
		}
	}
	return false
}
