package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/contractbot/contractbot/internal/soa"
)

func dockerfileCopyRule() *Rule {
	return &Rule{
		ID:       "dockerfile.copy",
		Severity: SeverityWarning,
		Needs:    NeedsRepo,
		Title:    "the Dockerfile copies nothing of the repository",
		Doc: "The contract's image is built from the service's repository: its code and its dependency " +
			"lists go into the image through COPY or ADD of `.` or of source paths. A Dockerfile with no COPY " +
			"or ADD from the build context (only `--from=` another stage or image, URLs or heredocs) builds an " +
			"image that cannot contain the code of the commit being tested and deployed, so the image tagged " +
			"with that commit's SHA runs something else (code fetched at build time, or a base image's). " +
			"contractbot reads the Dockerfile's instructions, never builds it: a base image whose ONBUILD " +
			"copies the context is not seen, and such a Dockerfile is still flagged. Add `COPY . /code` (or " +
			"the paths the service needs). A Dockerfile with no instruction at all is dockerfile.missing's error, " +
			"not this warning too.",
		Source: "contract (Dependencies): the service's image is built from its repository (warning, a SHOULD); no PaaSTA check covers it",
		Run: func(ctx context.Context, p *Pass) error {
			data, err := repoDockerfile(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return nil // dockerfile.missing's
			case err != nil:
				dockerfileUnread(p, err, "whether it copies the repository into the image")
				return nil
			}
			copies, err := soa.DockerfileCopies(data)
			if err != nil {
				p.Report(Finding{Path: DockerfilePath, Line: 1, Severity: SeverityNotice,
					Message: fmt.Sprintf("the Dockerfile is not read past %v, so whether it copies the repository into the image is not checked: shorten that line", err)})
				return nil
			}
			for _, c := range copies {
				if c.FromContext() {
					return nil
				}
			}
			if has, err := soa.DockerfileHasInstruction(data); !has && err == nil && p.Enabled("dockerfile.missing") {
				return nil // dockerfile.missing's: docker build refuses a Dockerfile with no instruction
			}
			p.Reportf(DockerfilePath, 1, "the Dockerfile copies nothing of the repository (no COPY or ADD of `.` or of source paths from the build context), "+
				"so the image cannot contain the service's code: add `COPY . /code` or COPY the paths the service needs")
			return nil
		},
	}
}
