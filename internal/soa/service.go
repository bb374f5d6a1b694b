package soa

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// instanceTypes are PaaSTA's INSTANCE_TYPES: a file <type>-<cluster>.yaml
// at the top of a service directory defines instances of that type.
var instanceTypes = []string{
	"paasta_native", "adhoc", "kubernetes", "eks", "tron", "flink", "flinkeks",
	"cassandracluster", "cassandraclustereks", "kafkacluster", "monkrelays",
	"nrtsearchservice", "nrtsearchserviceeks",
}

// legacyTypes are Mesos-era instance files, loaded and syntax-checked but
// no longer read by PaaSTA.
var legacyTypes = []string{"marathon", "chronos"}

// clusterPattern is the cluster part of <type>-<cluster>.yaml as PaaSTA's
// list_tron_clusters reads it.
var clusterPattern = regexp.MustCompile(`^[0-9a-zA-Z_-]+$`)

// Service is one service directory of a soa repository.
type Service struct {
	Name string
	// Files are the YAML files contractbot knows (see [FileKind]), sorted by
	// path. Files of unknown kinds are not loaded.
	Files []*File
	// Skipped lists what was deliberately not read: symbolic links, and the
	// files beyond the limits.
	Skipped []Skipped
	// HasYAML is whether the directory has a *.yaml file at its top level
	// (paasta validate refuses a directory without one).
	HasYAML bool

	tooMany bool
	entries int // directory entries the walk has listed, in all directories
}

// Skipped is a path that was not read, and why.
type Skipped struct {
	Path   string // relative to the soa root
	Reason string
	// Symlink is set for symbolic links; Outside when one points outside
	// the soa repository (or cannot be read).
	Symlink, Outside bool
}

// FileKind classifies a path relative to a service directory: "service",
// "deploy", "smartstack", "monitoring", "jenkins", "rollback", an instance
// type ("kubernetes", "tron", ...), a legacy type ("marathon"), a schema
// type reached by prefix ("autotuned_defaults/kubernetes"), or "" for files
// contractbot ignores.
func FileKind(rel string) string {
	if !strings.HasSuffix(rel, ".yaml") {
		return ""
	}
	base := strings.TrimSuffix(rel, ".yaml")
	if !strings.Contains(rel, "/") {
		switch base {
		case "service", "deploy", "smartstack", "monitoring", "jenkins":
			return base
		}
		if t, _ := InstanceFile(rel); t != "" {
			return t
		}
		for _, t := range legacyTypes {
			if strings.HasPrefix(base, t+"-") {
				return t
			}
		}
	}
	if ts := SchemaTypesFor(rel); len(ts) > 0 {
		return ts[0]
	}
	return ""
}

// InstanceFile splits "kubernetes-norcal.yaml" into its instance type and
// cluster; it returns "", "" for other names.
func InstanceFile(rel string) (typ, cluster string) {
	if strings.Contains(rel, "/") || !strings.HasSuffix(rel, ".yaml") {
		return "", ""
	}
	base := strings.TrimSuffix(rel, ".yaml")
	for _, t := range instanceTypes {
		if c, ok := strings.CutPrefix(base, t+"-"); ok && clusterPattern.MatchString(c) {
			return t, c
		}
	}
	return "", ""
}

// File returns the loaded file at rel (relative to the service
// directory), or nil.
func (s *Service) File(rel string) *File {
	i := sort.Search(len(s.Files), func(i int) bool { return s.Files[i].Rel >= rel })
	if i < len(s.Files) && s.Files[i].Rel == rel {
		return s.Files[i]
	}
	return nil
}

// LoadService loads every known YAML file of one service. A missing
// directory gives an error wrapping fs.ErrNotExist, a linked one
// ErrSymlink; problems with single files are recorded in the files.
func LoadService(fsys fs.FS, name string, lim Limits) (*Service, error) {
	return loadService(fsys, name, lim, nil)
}

// loadService is LoadService; root, when not nil, lists the tree's root
// (name -> type bits) once for many services, see [Cache.LoadService].
func loadService(fsys fs.FS, name string, lim Limits, root func() (map[string]fs.FileMode, error)) (*Service, error) {
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, "/") {
		return nil, fmt.Errorf("service %q: %w", name, fs.ErrNotExist)
	}
	var link bool
	var err error
	if root != nil {
		link, err = rootIsSymlink(root, name)
	} else {
		link, err = isSymlink(fsys, name)
	}
	if err != nil {
		return nil, fmt.Errorf("service directory %s: %w", name, err)
	} else if link {
		return nil, fmt.Errorf("service directory %s %w", name, ErrSymlink)
	}
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = DefaultLimits().MaxFiles
	}
	s := &Service{Name: name}
	var rels []string
	if err := s.walk(fsys, name, "", 0, lim, &rels); err != nil && !errors.Is(err, errWalkFull) {
		return nil, err
	}
	sort.Strings(rels)
	s.Files = make([]*File, 0, len(rels))
	for _, rel := range rels {
		s.Files = append(s.Files, loadFile(fsys, name, rel, lim))
	}
	return s, nil
}

// maxDepth and maxEntries bound the walk of one service directory. The
// entry bound is for the whole walk, not per directory: git stores equal
// subtrees once, so a small pushed tree can hold 10,000 directories of
// 10,000 directories, eight levels deep.
const (
	maxDepth   = 8
	maxEntries = 50000
)

func (s *Service) walk(fsys fs.FS, root, rel string, depth int, lim Limits, rels *[]string) error {
	dir := path.Join(root, rel)
	f, err := fsys.Open(dir)
	if err != nil {
		if depth == 0 {
			return fmt.Errorf("service directory %s: %w", root, err)
		}
		s.Skipped = append(s.Skipped, Skipped{Path: dir, Reason: err.Error()})
		return nil
	}
	defer f.Close()
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		if depth == 0 {
			return fmt.Errorf("service directory %s: %w", root, fs.ErrNotExist)
		}
		return nil
	}
	var subdirs []string
	for {
		batch, err := rd.ReadDir(256)
		for _, e := range batch {
			s.entries++
			if s.entries > maxEntries {
				s.Skipped = append(s.Skipped, Skipped{Path: dir, Reason: fmt.Sprintf("the service directory has more than %d entries; the rest were not read", maxEntries)})
				return errWalkFull
			}
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue // glob("**/*.yaml") skips hidden files and directories too
			}
			r := path.Join(rel, name)
			if e.Type()&fs.ModeSymlink != 0 {
				if e.IsDir() || strings.HasSuffix(name, ".yaml") || FileKind(r) != "" || !strings.Contains(name, ".") {
					full := path.Join(root, r)
					out := LinkOutside(fsys, full)
					reason := "symbolic link, not followed (paasta validate skips linked files too)"
					if out {
						reason = "symbolic link pointing outside the soa repository, not followed"
					}
					s.Skipped = append(s.Skipped, Skipped{Path: full, Reason: reason, Symlink: true, Outside: out})
				}
				continue
			}
			if e.IsDir() {
				subdirs = append(subdirs, r)
				continue
			}
			if !e.Type().IsRegular() {
				continue
			}
			if depth == 0 && strings.HasSuffix(name, ".yaml") {
				s.HasYAML = true
			}
			if FileKind(r) == "" {
				continue
			}
			if len(*rels) >= lim.MaxFiles {
				if !s.tooMany {
					s.tooMany = true
					s.Skipped = append(s.Skipped, Skipped{Path: path.Join(root, r), Reason: fmt.Sprintf("the service has more than %d YAML files; the rest were not read", lim.MaxFiles)})
				}
				continue
			}
			*rels = append(*rels, r)
		}
		if errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", dir, err)
		}
	}
	if depth+1 >= maxDepth {
		return nil
	}
	slices.Sort(subdirs)
	for _, sd := range subdirs {
		if err := s.walk(fsys, root, sd, depth+1, lim, rels); err != nil {
			return err
		}
	}
	return nil
}

// errWalkFull stops the walk of a service directory at maxEntries; the
// walk's caller keeps what was listed so far.
var errWalkFull = errors.New("too many entries")

// ListServices returns the service directories at the top of a soa
// repository: directories not starting with "." or "_" (_shared holds
// shared secrets, not a service). Symbolic links are not followed.
func ListServices(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() || e.Type()&fs.ModeSymlink != 0 || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// rootIsSymlink is isSymlink for an entry of the tree's root, from a
// listing of the root made once.
func rootIsSymlink(root func() (map[string]fs.FileMode, error), name string) (bool, error) {
	types, err := root()
	if err != nil {
		return false, err
	}
	t, ok := types[name]
	if !ok {
		return false, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return t&fs.ModeSymlink != 0, nil
}
