package checks

import (
	"context"
	"errors"
	"io/fs"
)

// DockerfilePath is where the contract expects the image's build recipe.
const DockerfilePath = "Dockerfile"

func dockerfileRules() []*Rule {
	return []*Rule{{
		ID:       "dockerfile.missing",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the repository has no Dockerfile",
		Doc: "PaaSTA builds exactly one Docker image per service repository, from the Dockerfile at the " +
			"repository root; without it `make itest` and `make cook-image` have nothing to build and the " +
			"service cannot be deployed. Add a Dockerfile at the root that builds the service image, runs " +
			"the service in the foreground, logs to stdout and listens on port 8888 for HTTP/TCP services.",
		Run: func(ctx context.Context, p *Pass) error {
			_, err := fs.Stat(p.Repo, DockerfilePath)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				p.Reportf(DockerfilePath, 1, "no Dockerfile at the repository root: add one that builds the service image (one repository, one image)")
			case err != nil:
				return err
			}
			return nil
		},
	}}
}
