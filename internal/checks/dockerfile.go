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
			"the service in the foreground, logs to stdout and listens on port 8888 for HTTP/TCP services. A Dockerfile only in a subdirectory passes `paasta check` (it " +
			"searches recursively) but is not the one the pipeline builds: the finding names it.",
		Source: "contract: one repository, one image, built from the Dockerfile at its root (error); paasta check: docker_check (C5) searches recursively, and its subdirectory hit is named in the finding",
		Run: func(ctx context.Context, p *Pass) error {
			_, err := fs.Stat(p.Repo, DockerfilePath)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				if below := foundBelow(p.Repo, ".", DockerfilePath); below != "" {
					p.Reportf(DockerfilePath, 1, "no Dockerfile at the repository root: found only at %s, which paasta check's recursive search accepts, but the pipeline builds the image from the root (`docker build .`): move it there", below)
					return nil
				}
				p.Reportf(DockerfilePath, 1, "no Dockerfile at the repository root: add one that builds the service image (one repository, one image)")
			case err != nil:
				return err
			}
			return nil
		},
	}, dockerfileCopyRule()}
}
