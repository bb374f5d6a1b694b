package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/contractbot/contractbot/internal/soa"
)

// DockerfilePath is where the contract expects the image's build recipe.
const DockerfilePath = "Dockerfile"

// maxDockerfileBytes bounds the Dockerfile the rules read.
const maxDockerfileBytes = 1 << 20

type dockerfileKey struct{}

// repoDockerfile is the repository's Dockerfile, read once per run for
// every rule that reads it (dockerfile.missing, dockerfile.copy,
// soa.container-port), with [readRepoFile]'s errors: fs.ErrNotExist, not
// a regular file, larger than maxDockerfileBytes.
func repoDockerfile(p *Pass) ([]byte, error) {
	return Memo(p, dockerfileKey{}, func() ([]byte, error) {
		return readRepoFile(p.Repo, DockerfilePath, maxDockerfileBytes)
	})
}

// dockerfileUnread reports, as a notice of the running rule, that the
// Dockerfile exists but cannot be read (err, from [repoDockerfile]: a
// directory, a link, too large), so that what the rule would have checked
// is not. Every rule that reads the Dockerfile says it the same way, at
// the same place: the path's line 1, the position of the entry as a whole
// ([Position]), which a missing Dockerfile's finding has too.
func dockerfileUnread(p *Pass, err error, unchecked string) {
	f := Finding{Path: DockerfilePath, Line: 1, Severity: SeverityNotice,
		Message: fmt.Sprintf("the Dockerfile cannot be read (%v), so %s is not checked: make it a regular file under 1 MiB", err, unchecked)}
	if p.rule.readsSOA() {
		p.ReportRepo(f) // a repository path, not one of the soa tree
		return
	}
	p.Report(f)
}

func dockerfileRules() []*Rule {
	return []*Rule{{
		ID:       "dockerfile.missing",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the repository has no Dockerfile, or one with no instruction",
		Doc: "PaaSTA builds exactly one Docker image per service repository, from the Dockerfile at the " +
			"repository root; without it `make itest` and `make cook-image` have nothing to build and the " +
			"service cannot be deployed. Add a Dockerfile at the root that builds the service image, runs " +
			"the service in the foreground, logs to stdout and listens on port 8888 for HTTP/TCP services. A Dockerfile only in a subdirectory passes `paasta check` (it " +
			"searches recursively) but is not the one the pipeline builds: the finding names it. A Dockerfile with no " +
			"instruction (empty, or only comments, blank lines and parser directives) is refused by `docker build` " +
			"(\"the Dockerfile cannot be empty\", BuildKit's \"file with no instructions\"), so it builds nothing " +
			"either; dockerfile.copy then says nothing of it.",
		Source: "contract: one repository, one image, built from the Dockerfile at its root (error); paasta check: docker_check (C5) searches recursively, and its subdirectory hit is named in the finding; contract: make itest MUST build the image, which docker build refuses to do from a Dockerfile with no instruction (error), while docker_check only looks for the file",
		Run: func(ctx context.Context, p *Pass) error {
			_, err := fs.Stat(p.Repo, DockerfilePath)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				if below := foundBelow(p.Repo, ".", DockerfilePath); below != "" {
					p.Reportf(DockerfilePath, 1, "no Dockerfile at the repository root: found only at %s, which paasta check's recursive search accepts, but the pipeline builds the image from the root (`docker build .`): move it there", below)
					return nil
				}
				p.Reportf(DockerfilePath, 1, "no Dockerfile at the repository root: add one that builds the service image (one repository, one image)")
				return nil
			case err != nil:
				return err
			}
			data, err := repoDockerfile(p)
			if err != nil {
				// Not a regular file, or too large: dockerfile.copy's
				// notice says what is not checked, or, with it off, this
				// one, so that the run does not read "no problems".
				if !p.Enabled("dockerfile.copy") {
					dockerfileUnread(p, err, "whether it has an instruction")
				}
				return nil
			}
			has, err := soa.DockerfileHasInstruction(data)
			if err != nil && !p.Enabled("dockerfile.copy") {
				// dockerfile.copy's notice says it too, when it runs.
				p.Report(Finding{Path: DockerfilePath, Line: 1, Severity: SeverityNotice,
					Message: fmt.Sprintf("the Dockerfile is not read past %v, so whether it has an instruction is not checked: shorten that line", err)})
			}
			if !has && err == nil {
				p.Reportf(DockerfilePath, 1, "the Dockerfile has no instruction, so docker build refuses it (\"file with no instructions\") and neither `make itest` nor `make cook-image` can build the image: add the instructions that build the service image (FROM, COPY . /code, ...)")
			}
			return nil
		},
	}, dockerfileCopyRule()}
}
