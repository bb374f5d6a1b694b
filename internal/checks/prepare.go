package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// Options is what a face knows about a run besides the repository: its
// flags, settings and other inputs. Every face (the CLI, the pre-receive
// hook, the App's check job and deploy-ref guard) builds its [Target] with
// [Prepare] from these, so that they resolve .contractbot.yaml, the service
// name and soa_dir by one rule.
type Options struct {
	// ConfigFrom is where .contractbot.yaml is read; nil means the checked
	// repository itself. The App reads it from the default branch, so that
	// a pull request cannot switch its own checks off.
	ConfigFrom fs.FS
	// Config, when set, is a configuration the face loaded already with
	// [LoadConfig] (the App caches it per default-branch commit);
	// ConfigFrom is then not read.
	Config *Config

	// Service names the service (a flag or a setting); it wins over
	// .contractbot.yaml's service. DefaultService is used when neither
	// names one: the checked directory's or repository's name.
	Service, DefaultService string

	// SOA is a soa tree named explicitly (--soa-dir): it wins over
	// .contractbot.yaml's soa_dir. SOACache, instead of SOA, is such a
	// tree together with what runs over that snapshot share (its index,
	// its compiled schemas), for a face that checks many services of one
	// snapshot. FallbackSOA gives the soa tree to use when none of these
	// names one (the App's configured soa repository); it is only called
	// then.
	SOA         fs.FS
	SOACache    *soa.Cache
	FallbackSOA func(ctx context.Context) (*soa.Cache, error)

	// Refs, RefObjects and Images: the refs being pushed or created, what
	// they point at, and a registry to ask for their images.
	Refs       []string
	RefObjects RefObjects
	Images     Images

	// PaastaSchemas, when set, replaces the built-in PaaSTA schemas.
	PaastaSchemas fs.FS
	// PaastaConfig, when set, is PaaSTA's system configuration directory
	// (--paasta-config; see [soa.LoadSystemConfig]).
	PaastaConfig fs.FS
}

// servicePattern is what a service name may be: a directory name of the
// soa repository, never a path (PaaSTA's service names are the same).
var servicePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// Prepare builds the target of one run: it loads and validates
// .contractbot.yaml once, picks the service name (Options.Service, else the
// config's service, else Options.DefaultService) and the soa tree
// (Options.SOA, else the config's soa_dir inside repo, else
// Options.FallbackSOA), and records where soa paths live in repo, so that
// the engine reports every finding at a path of the checked repository.
//
// A configuration contractbot cannot use (it does not parse, names an
// unknown rule, a soa_dir outside the tree, a service that is not a plain
// name) is not an error: the target then reports it as one config.invalid
// finding and nothing else. The error is for inputs that could not be read
// at all (a retry may succeed) and for a cancelled ctx.
func Prepare(ctx context.Context, repo fs.FS, o Options) (Target, error) {
	t := Target{Repo: repo, Refs: o.Refs, RefObjects: o.RefObjects, Images: o.Images, PaastaSchemas: o.PaastaSchemas, PaastaConfig: o.PaastaConfig}
	cfg := o.Config
	if cfg == nil {
		from := o.ConfigFrom
		if from == nil {
			from = repo
		}
		var err error
		if cfg, err = LoadConfig(from); err != nil {
			return Target{}, err
		}
	}
	t.Config = cfg
	if cfg.Problem != nil {
		// The file's own service name is suspect too.
		t.Service = cmp.Or(o.Service, o.DefaultService)
		return t, nil
	}
	t.Service = o.Service
	if t.Service == "" {
		t.Service = cfg.Service
	}
	if t.Service == "" {
		t.Service = o.DefaultService
	}
	switch {
	case o.SOACache != nil:
		t.SOA, t.SOACache = o.SOACache.FS(), o.SOACache
	case o.SOA != nil:
		t.SOA = o.SOA
	case cfg.SOADir != "":
		dir, problem := cleanSOADir(cfg.SOADir)
		if problem == "" && repo != nil {
			problem = checkSOADir(repo, dir)
		}
		if problem != "" {
			t.Config = cfg.withProblem(&ConfigError{Path: ConfigFile, Line: cfg.SOADirLine, Msg: problem})
			t.Service, t.SOA, t.SOACache = cmp.Or(o.Service, o.DefaultService), nil, nil
			return t, nil
		}
		if repo != nil {
			sub, err := fs.Sub(repo, dir)
			if err != nil {
				return Target{}, fmt.Errorf("soa_dir %s: %w", dir, err)
			}
			t.SOA, t.SOAPrefix = sub, dir
		}
	case o.FallbackSOA != nil:
		cache, err := o.FallbackSOA(ctx)
		if err != nil {
			return Target{}, err
		}
		if cache != nil {
			t.SOA, t.SOACache = cache.FS(), cache
		}
	}
	return t, ctx.Err()
}

// cleanSOADir turns soa_dir into a path inside the repository: "./x",
// "x/" and "x" name the same directory. An absolute path, one that leaves
// the repository or the repository itself is a problem, returned as the
// message of a config.invalid finding.
func cleanSOADir(dir string) (string, string) {
	if strings.HasPrefix(dir, "/") {
		return "", fmt.Sprintf("soa_dir %q is an absolute path: name the soa directory relative to the repository's root, e.g. soa_dir: yelpsoa-configs", dir)
	}
	clean := path.Clean(dir)
	switch {
	case clean == ".":
		return "", fmt.Sprintf("soa_dir %q names the repository itself: name the soa directory inside it, e.g. soa_dir: yelpsoa-configs", dir)
	case clean == ".." || strings.HasPrefix(clean, "../") || !fs.ValidPath(clean):
		return "", fmt.Sprintf("soa_dir %q leaves the repository: name a directory inside it, e.g. soa_dir: yelpsoa-configs", dir)
	}
	return clean, ""
}

// checkSOADir says what is wrong with dir as the soa tree of repo, or "".
// A missing directory is left to the soa rules (soa.service-dir says the
// service directory is missing); a file, or a link, is a configuration
// problem: a link could lead anywhere, and is read as missing by every
// file system contractbot opens.
func checkSOADir(repo fs.FS, dir string) string {
	fi, err := fs.Stat(repo, dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if lfi, lerr := lstat(repo, dir); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Sprintf("soa_dir %q is a symbolic link, which contractbot does not follow: name the real directory", dir)
		}
		return ""
	case err != nil:
		return fmt.Sprintf("soa_dir %q cannot be read: %v", dir, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Sprintf("soa_dir %q is a symbolic link, which contractbot does not follow: name the real directory", dir)
	case !fi.IsDir():
		return fmt.Sprintf("soa_dir %q is a file, not a directory: name the directory that holds <service>/deploy.yaml", dir)
	}
	return ""
}

// lstat is fs.Lstat where the file system has it (Go 1.25's fs.ReadLinkFS).
func lstat(fsys fs.FS, name string) (fs.FileInfo, error) {
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		return l.Lstat(name)
	}
	return nil, fs.ErrInvalid
}
