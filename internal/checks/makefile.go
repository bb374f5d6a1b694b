package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/contractbot/contractbot/internal/makefile"
)

// MakefilePath is where the contract expects the Makefile. GNU make reads
// GNUmakefile, then makefile, then Makefile; contractbot analyses whichever
// of them make would read, and reports a missing one as "Makefile".
const MakefilePath = "Makefile"

// makefileKey memoizes the Makefile analysis of one run.
type makefileKey struct{}

// makefileInput is the shared analysis; Analysis is nil without a Makefile.
type makefileInput struct {
	Path     string
	Analysis *MakefileAnalysis
}

// analyzeMakefile analyses the repository's Makefile once per run and
// records the result as the "makefile" fact.
func analyzeMakefile(ctx context.Context, p *Pass) (*makefileInput, error) {
	return Memo(p, makefileKey{}, func() (*makefileInput, error) {
		name, err := makefile.FindMakefile(p.Repo)
		if errors.Is(err, fs.ErrNotExist) {
			return &makefileInput{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("find the Makefile: %w", err)
		}
		a, err := AnalyzeMakefile(ctx, p.Repo, name)
		if err != nil {
			return nil, fmt.Errorf("analyse %s: %w", name, err)
		}
		p.SetFact("makefile", a.Facts)
		return &makefileInput{Path: name, Analysis: a}, nil
	})
}

// withMakefile wraps a rule body that only applies when there is a Makefile.
func withMakefile(f func(p *Pass, in *makefileInput) error) func(context.Context, *Pass) error {
	return func(ctx context.Context, p *Pass) error {
		in, err := analyzeMakefile(ctx, p)
		if err != nil || in.Analysis == nil {
			return err
		}
		return f(p, in)
	}
}

// makefileRules lists the rules over the service's Makefile, in
// documentation order; each is defined, with its doc, in its own file.
func makefileRules() []*Rule {
	return []*Rule{
		makefileMissingRule(),
		makefileTabsRule(),
		makefileTestRule(),
		makefileItestRule(),
		makefileCookImageRule(),
		makefileDockerTagRule(),
		makefileItestDockerTagRule(),
		makefileParseRule(),
		makefileIncompleteRule(),
	}
}
