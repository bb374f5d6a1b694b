package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/gitref"
	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/suggest"
)

// RefObjects tells what pushed refs point at. The pre-receive hook
// implements it over the repository's git objects (quarantined objects
// included); the CLI's ref check has none, so ref.target and ref.image stay
// silent there.
type RefObjects interface {
	// RefTarget returns the object id that ref is being set to and the
	// type of that object: "commit", "tag", "tree", "blob", or "missing"
	// when the repository does not have it.
	RefTarget(ctx context.Context, ref string) (oid, typ string, err error)
}

// Images tells whether an image exists in a Docker registry.
type Images interface {
	// HasImage reports whether repository:tag exists. An error means the
	// registry could not answer; an implementation configured to fail open
	// answers true instead and warns by its own means.
	HasImage(ctx context.Context, repository, tag string) (bool, error)
}

// refRules lists the rules over PaaSTA deploy refs.
func refRules() []*Rule {
	return []*Rule{
		{
			ID:       "ref.name",
			Severity: SeverityError,
			Needs:    NeedsRefs,
			Title:    "a PaaSTA ref name is malformed",
			Doc: "PaaSTA deploys the commit at the tip of `refs/tags/paasta-<deploy_group>[+<image_version>]-" +
				"<YYYYmmddTHHMMSS>-deploy` (and stops, starts and rolls back with -stop, -start and -rollback " +
				"tags). A name that is close to that form but not in it is never matched by PaaSTA, so the push " +
				"silently deploys nothing. Use `paasta mark-for-deployment`, or write the name exactly: a UTC " +
				"timestamp like 20260102T030405, an image version of letters, digits, _, . and - short enough " +
				"for Docker's 128-character tag limit, and nothing git forbids in ref names.",
			Source: "PaaSTA's deploy tag grammar (mark-for-deployment, get_latest_deployment_tag): a ref it does not parse deploys nothing (error)",
			Run:    runRefName,
		},
		{
			ID:       "ref.deploy-group",
			Severity: SeverityError,
			Needs:    NeedsRefs | NeedsService,
			Title:    "a deploy ref names a deploy group the service does not have",
			Doc: "A deploy or rollback ref's deploy group must be a deploy step of the service's deploy.yaml " +
				"pipeline (a step other than itest, security-check, push-to-registry, " +
				"itest-and-push-to-registry and `command-*`); PaaSTA only runs instances whose deploy group it " +
				"knows, so a tag for any other group deploys nothing. Fix the group in the ref name, or add the " +
				"step to deploy.yaml first.",
			Source: "PaaSTA's deployments: a deploy group that is no deploy step of deploy.yaml is never deployed (error)",
			Run:    runRefDeployGroup,
		},
		{
			ID:       "ref.target",
			Severity: SeverityError,
			Needs:    NeedsRefs,
			Title:    "a PaaSTA ref points at something other than a commit",
			Doc: "PaaSTA takes the SHA at a deploy ref's tip as the commit whose image " +
				"`services-<service>:paasta-<sha>` it runs. An annotated tag object, a tree or a blob has a " +
				"SHA that no image is built from, so the deploy finds no image. Point the ref at the commit " +
				"itself (a lightweight tag: `git tag -f NAME COMMIT^{commit}`). Evaluated where git objects " +
				"are available: the pre-receive hook.",
			Source: "PaaSTA's deployments: the SHA at the ref's tip names the image (error)",
			Run:    runRefTarget,
		},
		{
			ID:       "ref.image",
			Severity: SeverityError,
			Needs:    NeedsRefs,
			Title:    "a deploy ref's image is not in the registry",
			Doc: "A deploy ref makes PaaSTA pull `services-<service>:paasta-<sha>[-<image_version>]`; when that " +
				"image was never pushed, the instances cannot start. Build and push the image for the commit " +
				"(the pipeline's push-to-registry step) before marking it for deployment. Evaluated where a " +
				"registry is configured: the pre-receive hook with --registry.",
			Source: "PaaSTA's deployments: the image services-<service>:paasta-<sha> must exist to be pulled (error)",
			Run:    runRefImage,
		},
	}
}

// reportRef reports a finding about the ref named name as a whole.
func reportRef(p *Pass, name, format string, args ...any) {
	p.Report(Finding{Subject: name, Message: fmt.Sprintf(format, args...)})
}

// refMessage is the text of a ref.name finding: the problem, its column and
// the valid form.
func refMessage(e *gitref.Error) string {
	msg := fmt.Sprintf("%s (column %d)", e.Msg, e.Col)
	if e.Want != "" {
		msg += "; write it as " + e.Want
	}
	return msg
}

func runRefName(_ context.Context, p *Pass) error {
	for _, name := range p.Refs {
		_, err := gitref.Parse(name)
		var e *gitref.Error
		if errors.As(err, &e) {
			p.Report(Finding{Subject: name, Column: e.Col, Message: refMessage(e)})
		}
	}
	return nil
}

// paastaRefs returns the pushed refs that parse as PaaSTA tags. Legacy
// deploy branches (refs/heads/paasta-<group>) are left out: PaaSTA has not
// deployed from branches since 2016, so such a branch is far more likely a
// developer's branch than a deploy, and refusing it would be wrong.
func paastaRefs(p *Pass) (names []string, refs []gitref.Ref) {
	for _, name := range p.Refs {
		if r, err := gitref.Parse(name); err == nil && (r.Kind == gitref.DeployTag || r.Kind == gitref.ControlTag) {
			names = append(names, name)
			refs = append(refs, r)
		}
	}
	return names, refs
}

type deployKey struct{}

func runRefDeployGroup(_ context.Context, p *Pass) error {
	names, refs := paastaRefs(p)
	for i, r := range refs {
		// A control tag names an instance (<cluster>.<instance>), whose
		// deploy group lives in its instance config, not in deploy.yaml.
		if r.Kind == gitref.ControlTag {
			continue
		}
		d, err := Memo(p, deployKey{}, func() (*soa.Deploy, error) { return soa.LoadDeploy(p.SOA, p.Service) })
		switch {
		case errors.Is(err, fs.ErrNotExist):
			reportRef(p, names[i], "%s/deploy.yaml does not exist, so deploy group %q cannot deploy: add the deploy.yaml pipeline first", p.Service, r.DeployGroup)
			continue
		case err != nil:
			reportRef(p, names[i], "cannot read the deploy groups of %s: %v", p.Service, err)
			continue
		}
		groups := d.DeployGroups()
		if !slices.Contains(groups, r.DeployGroup) {
			known := strings.Join(groups, ", ")
			if known == "" {
				known = "none"
			}
			hint := ""
			if g := closest(r.DeployGroup, groups); g != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", g)
			}
			reportRef(p, names[i], "deploy group %q is not a deploy step of %s%s (deploy groups: %s): fix the ref's group or add the step", r.DeployGroup, d.Path, hint, known)
		}
	}
	return nil
}

func runRefTarget(ctx context.Context, p *Pass) error {
	if p.RefObjects == nil {
		return nil
	}
	names, _ := paastaRefs(p)
	for _, name := range names {
		oid, typ, err := p.RefObjects.RefTarget(ctx, name)
		if err != nil {
			return err
		}
		switch typ {
		case "commit":
		case "missing":
			reportRef(p, name, "%s is not in the repository: push the commit to a branch first, then tag it", short(oid))
		case "tag":
			reportRef(p, name, "points at annotated tag object %s, not a commit: use a lightweight tag on the commit (git tag -f NAME COMMIT^{commit})", short(oid))
		default:
			reportRef(p, name, "points at a %s (%s), not a commit: point it at the commit to deploy", typ, short(oid))
		}
	}
	return nil
}

func runRefImage(ctx context.Context, p *Pass) error {
	if p.RefObjects == nil || p.Images == nil || p.Service == "" {
		return nil
	}
	names, refs := paastaRefs(p)
	for i, r := range refs {
		if !r.Deploys() {
			continue
		}
		oid, typ, err := p.RefObjects.RefTarget(ctx, names[i])
		if err != nil {
			return err
		}
		if typ != "commit" {
			if !p.Enabled("ref.target") {
				reportRef(p, names[i], "points at a %s (%s), not a commit, so there is no image to check: point it at the commit to deploy", typ, short(oid))
			}
			continue
		}
		repo, tag := r.Image(p.Service, oid)
		ok, err := p.Images.HasImage(ctx, repo, tag)
		switch {
		case err != nil:
			reportRef(p, names[i], "cannot check image %s:%s: %v", repo, tag, err)
		case !ok:
			reportRef(p, names[i], "image %s:%s is not in the registry: build and push it before deploying", repo, tag)
		}
	}
	return nil
}

// short abbreviates an object id for messages.
func short(oid string) string {
	if len(oid) > 12 {
		return oid[:12]
	}
	return oid
}

// closest returns the candidate nearest to s when it is near enough to be a
// typo: at most 2 edits, and under a third of s (so "qa" does not suggest
// "pa"); "" otherwise.
func closest(s string, candidates []string) string {
	if best, d := suggest.Closest(s, candidates); best != "" && d*3 < len(s) {
		return best
	}
	return ""
}
