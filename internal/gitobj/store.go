// Package gitobj reads a git repository's objects through one long-lived
// `git cat-file --batch-command` process and serves a commit's tree as an
// [io/fs.FS], so that the contract rules can run on a pushed commit without
// a checkout.
//
// Why git cat-file and not a Go git library: inside a pre-receive hook the
// pushed objects sit in a quarantine directory that git announces only
// through GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES and
// GIT_QUARANTINE_PATH. The git binary that runs the hook honours them (and
// every pack, alternate and object format it supports) by construction; a
// library would have to re-implement that and would lag behind the server's
// git. One process answers every request over a pipe, so the cost is one
// fork per push, not per object.
package gitobj

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// DefaultMaxBlob bounds how much of one file the store reads into memory; a
// hostile repository cannot make a rule allocate more.
const DefaultMaxBlob = 16 << 20

// maxTreeFactor is how many times the blob limit a tree object may be.
const maxTreeFactor = 8

// ErrTooLarge is returned for a blob over the store's size limit.
var ErrTooLarge = errors.New("object too large to read")

// Store reads objects from one repository. It is safe for concurrent use;
// requests are served one at a time.
type Store struct {
	mu      sync.Mutex
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	w       *bufio.Writer
	r       *bufio.Reader
	maxBlob int64
	trees   map[string][]entry
	broken  error
}

// Options configure a Store.
type Options struct {
	// GitDir, when set, is the repository to read: the process gets
	// GIT_DIR=GitDir and none of the hook's quarantine variables, which
	// belong to the repository being pushed to. When empty, the process
	// inherits the environment and working directory, which is what a
	// hook wants for the repository it runs in.
	GitDir string
	// MaxBlob bounds blob reads (default DefaultMaxBlob).
	MaxBlob int64
	// Git is the git program (default "git" on PATH). GitLab's Gitaly, for
	// one, runs hooks with its bundled git outside PATH.
	Git string
	// Env, with GitDir, is the process's whole environment instead of this
	// process's own (GIT_DIR is added): a caller that keeps git away from
	// the user's configuration (the App's mirrors) says so here.
	Env []string
}

// Open starts the cat-file process. Close it when done.
func Open(ctx context.Context, opts Options) (*Store, error) {
	git := opts.Git
	if git == "" {
		git = "git"
	}
	cmd := exec.CommandContext(ctx, git, "cat-file", "--batch-command")
	if opts.GitDir != "" {
		env := os.Environ()
		if opts.Env != nil {
			env = opts.Env
		}
		cmd.Env = append(cleanEnv(env), "GIT_DIR="+opts.GitDir)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start git cat-file: %w", err)
	}
	s := &Store{
		cmd: cmd, stdin: stdin, w: bufio.NewWriter(stdin), r: bufio.NewReaderSize(stdout, 64<<10),
		maxBlob: opts.MaxBlob, trees: map[string][]entry{},
	}
	if s.maxBlob <= 0 {
		s.maxBlob = DefaultMaxBlob
	}
	return s, nil
}

// cleanEnv drops the variables through which git tells a hook where the
// current repository and its quarantined objects are.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH",
			"GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Close stops the process.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stdin.Close()
	err := s.cmd.Wait()
	if s.broken == nil {
		s.broken = errors.New("store closed")
	}
	return err
}

// Info is what git knows about an object without reading it.
type Info struct {
	OID  string
	Type string // commit, tree, blob or tag
	Size int64
}

// ErrMissing is returned for an object the repository does not have.
var ErrMissing = errors.New("no such object")

// Info returns the id, type and size of the object named by rev (an object
// id or any revision expression cat-file accepts, such as "<sha>^{tree}").
func (s *Store) Info(rev string) (Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.send("info", rev); err != nil {
		return Info{}, err
	}
	return s.header(rev)
}

// Read returns an object's type and content. A blob larger than the
// store's limit gives ErrTooLarge without being read into memory.
func (s *Store) Read(rev string) (Info, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read(rev, true)
}

func (s *Store) read(rev string, limit bool) (Info, []byte, error) {
	if limit {
		// Ask for the size first, so that an oversized blob is never sent.
		if err := s.send("info", rev); err != nil {
			return Info{}, nil, err
		}
		info, err := s.header(rev)
		if err != nil {
			return info, nil, err
		}
		if info.Size > s.maxBlob {
			return info, nil, fmt.Errorf("%s (%d bytes): %w", rev, info.Size, ErrTooLarge)
		}
		rev = info.OID
	}
	if err := s.send("contents", rev); err != nil {
		return Info{}, nil, err
	}
	info, err := s.header(rev)
	if err != nil {
		return info, nil, err
	}
	if info.Size > s.maxBlob && (info.Type != "tree" || info.Size > maxTreeFactor*s.maxBlob) {
		// Only trees are read without asking first, and a tree is allowed
		// to be larger than a blob (a directory of many thousand files);
		// anything beyond that is hostile. Drain it so the protocol stays
		// in step.
		if _, err := io.CopyN(io.Discard, s.r, info.Size+1); err != nil {
			return s.fail(err)
		}
		return info, nil, fmt.Errorf("%s (%d bytes): %w", rev, info.Size, ErrTooLarge)
	}
	buf := make([]byte, info.Size+1) // content and the trailing newline
	if _, err := io.ReadFull(s.r, buf); err != nil {
		return s.fail(err)
	}
	return info, buf[:info.Size], nil
}

func (s *Store) fail(err error) (Info, []byte, error) {
	s.broken = fmt.Errorf("git cat-file: %w", err)
	return Info{}, nil, s.broken
}

func (s *Store) send(cmd, rev string) error {
	if s.broken != nil {
		return s.broken
	}
	if strings.ContainsAny(rev, "\n\x00") || rev == "" {
		return fmt.Errorf("bad object name %q", rev)
	}
	s.w.WriteString(cmd)
	s.w.WriteByte(' ')
	s.w.WriteString(rev)
	s.w.WriteByte('\n')
	if err := s.w.Flush(); err != nil {
		_, _, err = s.fail(err)
		return err
	}
	return nil
}

// header reads "<oid> <type> <size>" or "<rev> missing|ambiguous".
func (s *Store) header(rev string) (Info, error) {
	line, err := s.r.ReadString('\n')
	if err != nil {
		_, _, err = s.fail(err)
		return Info{}, err
	}
	f := strings.Fields(line)
	switch {
	case len(f) >= 2 && (f[len(f)-1] == "missing" || f[len(f)-1] == "ambiguous"):
		return Info{}, fmt.Errorf("%s: %w", rev, ErrMissing)
	case len(f) != 3:
		_, _, err = s.fail(fmt.Errorf("unexpected answer %q", line))
		return Info{}, err
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		_, _, err = s.fail(fmt.Errorf("unexpected answer %q", line))
		return Info{}, err
	}
	return Info{OID: f[0], Type: f[1], Size: size}, nil
}
