package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/contractbot/contractbot/internal/makefile"
)

// Names the PaaSTA contract gives meaning to in a Makefile. The makefile
// package knows nothing of them: it answers what GNU make would, and the
// contract's facts below are computed from its answers.
const (
	DockerTagVar    = "DOCKER_TAG"
	TargetTest      = "test"
	TargetItest     = "itest"
	TargetCookImage = "cook-image"
)

// ContractTargets are the targets the contract requires, in the order
// they are documented and printed.
func ContractTargets() []string { return []string{TargetTest, TargetItest, TargetCookImage} }

// MakefileFacts is what contractbot knows about a Makefile, in the shape of
// `contractbot inspect makefile --format json` and of the "makefile" fact of
// `check --format json`.
type MakefileFacts struct {
	Targets                map[string]TargetFact `json:"targets"`
	DockerTag              DockerTagFact         `json:"docker_tag"`
	ItestUsesDockerTag     *bool                 `json:"itest_uses_docker_tag"`
	CookImageUsesDockerTag *bool                 `json:"cook_image_uses_docker_tag"`
	MissingIncludes        []string              `json:"missing_includes"`
}

// TargetFact says whether `make TARGET` finds a rule, and how (one of the
// makefile.How* names).
type TargetFact struct {
	Defined bool   `json:"defined"`
	How     string `json:"how"`
}

// DockerTagFact describes DOCKER_TAG with an empty environment.
type DockerTagFact struct {
	Defined bool `json:"defined"`
	// Conditional: a DOCKER_TAG in the environment replaces the
	// Makefile's value (?=, ifndef DOCKER_TAG, ...).
	Conditional bool `json:"conditional"`
	// Default is the expanded value; nil when undefined or shell-dependent.
	Default        *string `json:"default"`
	Exported       bool    `json:"exported"`
	ShellDependent bool    `json:"shell_dependent"`
}

// TargetInfo is where a target of the contract is defined.
type TargetInfo struct {
	TargetFact
	// Path and Line locate the rule (for phony-only: the .PHONY line); for
	// an undefined target, the makefile's first line.
	Path string
	Line int
	// UsesDockerTag is nil when the target is undefined.
	UsesDockerTag *bool
	// UpToDateFile: see [makefile.Database.UpToDateFile].
	UpToDateFile bool
	// BuildError is why `make TARGET` would stop although the target has
	// a rule (a prerequisite nothing can make, a recipe line that fails to
	// expand), or nil; see [makefile.Database.BuildError].
	BuildError *makefile.Error
}

// MakefileAnalysis is the contract's view of one Makefile: the facts, and
// the positions rules point at.
type MakefileAnalysis struct {
	// Path is the makefile read, relative to the FS root.
	Path  string
	Facts MakefileFacts
	// DB is make's database after reading with an empty environment.
	DB *makefile.Database
	// Targets has an entry for each of [ContractTargets].
	Targets map[string]TargetInfo
	// DockerTagAssign is the last plain assignment (=, :=, ::=, :::=, !=)
	// that gave DOCKER_TAG its value, or nil: the line that keeps the
	// environment from overriding it.
	DockerTagAssign *makefile.Assignment
	// DockerTagLast is the last assignment of DOCKER_TAG of any kind, or
	// nil when it is undefined.
	DockerTagLast *makefile.Assignment
	// DockerTagTargetAssigns are target-specific assignments of DOCKER_TAG
	// ("cook-image: DOCKER_TAG = latest") that the environment cannot
	// override, in target name order.
	DockerTagTargetAssigns []makefile.TargetAssignment
	// DockerTagError is the error make stops on when it expands
	// DOCKER_TAG (a recursive variable that refers to itself, $(error
	// ...)), or nil.
	DockerTagError *makefile.Error
	// DockerTagEnvStop is the error make stops on only when DOCKER_TAG
	// comes from the environment, as in the pipeline, or nil.
	DockerTagEnvStop *makefile.Error
	// TabProblems are lines that GNU make misreads or stops at because a
	// recipe line is not indented with the recipe prefix.
	TabProblems []makefile.TabProblem
	// ReadErrors are the other errors GNU make would stop reading the
	// makefiles on (a missing endif, $(error ...) at the top level, an
	// include of a file that neither exists nor has a rule, ...).
	ReadErrors []*makefile.Error
	// Limits are contractbot's own bounds that stopped the analysis (file
	// size, include depth, the step budget): what follows them was not
	// analysed, so no finding about what is missing can be trusted.
	Limits []*makefile.Error
}

// Incomplete reports whether a bound stopped the analysis.
func (a *MakefileAnalysis) Incomplete() bool { return len(a.Limits) > 0 }

// AnalyzeMakefile reads the makefile name in fsys as GNU make would with an
// empty environment and no command-line variables, and derives the
// contract's facts. Nothing is executed. The error is only for a makefile
// that cannot be read or a cancelled ctx; problems in the makefile are in
// the result.
func AnalyzeMakefile(ctx context.Context, fsys fs.FS, name string) (*MakefileAnalysis, error) {
	db, err := makefile.Read(ctx, makefile.Config{FS: fsys}, name)
	if err != nil {
		return nil, err
	}
	a := &MakefileAnalysis{Path: name, DB: db, Targets: map[string]TargetInfo{}}
	a.Facts.Targets = map[string]TargetFact{}
	for _, t := range ContractTargets() {
		info := targetInfo(db, name, t)
		a.Targets[t] = info
		a.Facts.Targets[t] = info.TargetFact
	}
	a.Facts.ItestUsesDockerTag = a.Targets[TargetItest].UsesDockerTag
	a.Facts.CookImageUsesDockerTag = a.Targets[TargetCookImage].UsesDockerTag
	a.Facts.MissingIncludes = append([]string{}, db.MissingIncludes...)

	dt := &a.Facts.DockerTag
	// A variable from the environment, a default one, or a private one
	// (which recipes do not see) is not the Makefile's default.
	if v := db.Vars[DockerTagVar]; v != nil && !v.Private && (v.Origin == makefile.OriginFile || v.Origin == makefile.OriginOverride) {
		dt.Defined = true
		val, tainted, xerr := db.ExpandErr("$(" + DockerTagVar + ")")
		dt.ShellDependent = tainted || v.ShellDependent
		if !dt.ShellDependent && xerr == nil {
			dt.Default = &val
		}
		var me *makefile.Error
		if errors.As(xerr, &me) && !me.Limit {
			a.DockerTagError = me
		}
		if v.Export != nil {
			dt.Exported = *v.Export
		} else {
			dt.Exported = db.ExportAll
		}
		if dt.Conditional, a.DockerTagEnvStop, err = db.EnvironmentWins(ctx, DockerTagVar); err != nil {
			return nil, fmt.Errorf("read %s with DOCKER_TAG in the environment: %w", name, err)
		}
		a.DockerTagAssign = db.Assignment(DockerTagVar, true)
		a.DockerTagLast = db.Assignment(DockerTagVar, false)
	}
	a.TabProblems = db.TabProblems()
	a.DockerTagTargetAssigns = db.TargetAssignments(DockerTagVar)
	tabAt := map[string]bool{}
	for _, tp := range a.TabProblems {
		tabAt[fmt.Sprintf("%s:%d", tp.Path, tp.Line)] = true
	}
	for _, e := range db.Errors {
		switch {
		case e.Limit:
			a.Limits = append(a.Limits, e)
		case !tabAt[fmt.Sprintf("%s:%d", e.Pos.Filename, e.Pos.Line)]:
			a.ReadErrors = append(a.ReadErrors, e)
		}
	}
	return a, nil
}

// targetInfo says how make finds a rule for target and where; a target
// with no line of its own points at the makefile's first line.
func targetInfo(db *makefile.Database, makefilePath, target string) TargetInfo {
	how, pos := db.Where(target)
	info := TargetInfo{TargetFact: TargetFact{Defined: how != makefile.HowNone, How: how}, Path: makefilePath, Line: 1}
	if pos.IsValid() {
		info.Path, info.Line = pos.Filename, pos.Line
	}
	if info.Defined {
		u := db.References(target, DockerTagVar)
		info.UsesDockerTag = &u
	}
	info.UpToDateFile = how == makefile.HowExplicit && db.UpToDateFile(target)
	if info.Defined {
		info.BuildError = db.BuildError(target)
	}
	return info
}
