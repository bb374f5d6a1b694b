package soatest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// The organisation-scale soa repository of issue 12, which the end-to-end
// tests and the benchmarks check against the fake GitHub: 4,000 services
// of 10 files each (40,000 files, 44,000 entries in a recursive tree with
// the service directories), 1,800 of them with a smartstack.yaml.
const (
	BigServices        = 4000
	BigFilesPerService = 10
	BigSmartStack      = 1800
)

// File is one file of a generated repository: a slash-separated path from
// the repository's root and its content.
type File struct {
	Path    string
	Content string
}

// Generate returns the files of a repository of services services named
// svc0000, svc0001, ..., each with files files, smartstack of them (spread
// evenly) with a smartstack.yaml and a proxy_port of their own, sorted by
// path. Every service is valid and keeps the contract.
func Generate(services, files, smartstack int) ([]File, error) {
	if smartstack > services {
		return nil, fmt.Errorf("soatest: %d services cannot have %d smartstack.yaml files", services, smartstack)
	}
	if smartstack > MaxServices {
		return nil, fmt.Errorf("soatest: at most %d services fit SmartStack's port range", MaxServices)
	}
	out := make([]File, 0, services*max(files, 6))
	for i := range services {
		name := fmt.Sprintf("svc%04d", i)
		p, _ := HasSmartStack(i, services, smartstack)
		for f, c := range ServiceFiles(name, p, files) {
			out = append(out, File{Path: name + "/" + f, Content: c})
		}
	}
	slices.SortFunc(out, func(a, b File) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return out, nil
}

// bigRepo is generated at most once per process, because the end-to-end
// tests and benchmarks of one test binary all check the same repository.
// It is never changed after it is built; [BigRepo] hands out copies.
var bigRepo = sync.OnceValues(func() ([]File, error) {
	return Generate(BigServices, BigFilesPerService, BigSmartStack)
})

// BigRepo returns the files of the organisation-scale repository
// ([BigServices] services), generated on first use and shared by every
// later call in the process; the slice is the caller's own.
func BigRepo() ([]File, error) {
	files, err := bigRepo()
	return slices.Clone(files), err
}

// HasSmartStack reports whether service i of a repository [Generate]d with
// services and smartstack has a smartstack.yaml, and if so the proxy_port
// of its main namespace. The smartstack services are spread evenly: i has
// one when the running share, floor((i+1)*smartstack/services), steps up
// at it, which makes exactly smartstack of them, and that share is also
// how many come up to i, so ports are 19000, 19001, ... in order.
func HasSmartStack(i, services, smartstack int) (port int, ok bool) {
	if services <= 0 || (i+1)*smartstack/services <= i*smartstack/services {
		return 0, false
	}
	return 19000 + (i+1)*smartstack/services - 1, true
}

// WriteFiles writes files under dir, as [Generate] returns them.
func WriteFiles(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
