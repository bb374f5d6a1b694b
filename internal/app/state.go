package app

import (
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/soa"
)

// headTTL is how long a default-branch head learned from a lookup (rather
// than from a push to that branch) is trusted. Pushes to the default branch
// refresh it for free; the lookup is the fallback when the App missed them.
const headTTL = 5 * time.Minute

// maxCachedConfigs bounds the configuration cache; past it the cache starts
// over, which costs one tree read per repository.
const maxCachedConfigs = 10000

// state is what the handlers and the check job remember between deliveries.
// It is only a cache: losing it (a restart) costs API calls, never results.
type state struct {
	configs *configCache
	soa     *soaState
	checked *checkedCache
	// installs are the installations of other owners' repositories
	// (installation.go).
	installs *repoInstallations
}

func newState() *state {
	return &state{configs: &configCache{repoCache[configEntry]{m: map[string]configEntry{}}}, soa: &soaState{}, checked: &checkedCache{}, installs: &repoInstallations{}}
}

// configEntry is a repository's .contractbot.yaml as read at a head of its
// default branch.
type configEntry struct {
	sha          string
	installation int64
	cfg          *checks.Config // with Problem set when the file is invalid
	at           time.Time
	fromPush     bool // sha came from a push to the default branch
}

// fresh reports whether e may be used for a commit that is not on the
// default branch, without asking GitHub where the branch is now.
func (e configEntry) fresh(now time.Time) bool { return now.Sub(e.at) < headTTL }

type configCache struct {
	repoCache[configEntry]
}

func (e configEntry) installationID() int64 { return e.installation }

// repoCache is a map by lower-case "owner/repo" under a lock, whose
// entries the installation events forget (InstallationHandler).
type repoCache[V interface{ installationID() int64 }] struct {
	mu sync.Mutex
	m  map[string]V
}

// forget drops the entry of fullName ("owner/repo").
func (c *repoCache[V]) forget(fullName string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, strings.ToLower(fullName))
}

// forgetInstallation drops the entries of installation id.
func (c *repoCache[V]) forgetInstallation(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.installationID() == id {
			delete(c.m, k)
		}
	}
}

func (c *configCache) get(fullName string) (configEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[strings.ToLower(fullName)]
	return e, ok
}

// put stores e unless a newer push already stored another head: checks of
// different commits finish in any order, and a push's head is the newest
// thing known about the branch.
func (c *configCache) put(fullName string, e configEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := strings.ToLower(fullName)
	if old, ok := c.m[k]; ok && old.fromPush && !e.fromPush && old.at.After(e.at.Add(-headTTL)) {
		return
	}
	if len(c.m) >= maxCachedConfigs {
		c.m = map[string]configEntry{}
	}
	c.m[k] = e
}

// soaState is what is known about the soa repository: which installation
// can read it, its default branch, where that branch is and its tree there
// (in the cache that the checks of that snapshot share).
type soaState struct {
	mu           sync.Mutex
	installation int64
	branch       string
	head         string
	headAt       time.Time
	tree         *soa.Cache // at head, or nil
}

// observe records what an event said about the soa repository; empty
// values leave what is known.
func (s *soaState) observe(installation int64, branch, head string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if installation != 0 {
		s.installation = installation
	}
	if branch != "" {
		s.branch = branch
	}
	if head != "" {
		if head != s.head {
			s.tree = nil
		}
		s.head, s.headAt = head, time.Now()
	}
}

// forget drops what came through an installation that is gone.
func (s *soaState) forget(installation int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.installation == installation {
		*s = soaState{branch: s.branch}
	}
}

// snapshot returns the installation, branch, head and tree known now; head
// is "" when it is unknown or stale.
func (s *soaState) snapshot(now time.Time) (installation int64, branch, head string, tree *soa.Cache) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head == "" || now.Sub(s.headAt) >= headTTL {
		return s.installation, s.branch, "", nil
	}
	return s.installation, s.branch, s.head, s.tree
}

// setTree remembers the tree at head, unless the head moved meanwhile.
func (s *soaState) setTree(head string, at time.Time, tree *soa.Cache) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head != "" && s.head != head && s.headAt.After(at) {
		return // a push moved the branch while we read the old head
	}
	s.head, s.headAt, s.tree = head, at, tree
}

// checked is one commit's check, shared by the check job and the review
// job of that commit: the review comments on exactly the findings the
// check run shows, read with the same configuration and soa tree, and the
// engine runs once. done is closed when res, tree and cfg (or err) are set.
type checked struct {
	done chan struct{}
	res  *checks.Result
	tree fs.FS
	cfg  *checks.Config
	err  error
	at   time.Time
	// gitServices, of a soa check, are the services git said the push
	// changed (diff-tree of its before and after, mirror.go): the ones
	// whose repositories must be re-checked and fixed when the payload
	// could not list them. nil when git did not say (no mirror, or before
	// unknown and every service checked).
	gitServices []string
}

// maxCheckedCommits bounds the commits whose check is kept for a review;
// checkedTTL is how long one is kept. A review that finds none (another
// replica checked the commit, or it was evicted) runs the check itself.
const (
	maxCheckedCommits = 512
	checkedTTL        = 30 * time.Minute
)

type checkedCache struct {
	mu sync.Mutex
	m  map[string]*checked // by lower-case "owner/repo@sha"
}

// start returns the check of key under way or kept, or registers a new
// one that the caller must finish with [checkedCache.finish]. fresh asks
// for a new check even when a finished one is kept (the check job's run,
// which must reflect the soa tree of now); one under way is still shared.
func (c *checkedCache) start(key string, now time.Time, fresh bool) (e *checked, mine bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*checked{}
	}
	if e, ok := c.m[key]; ok {
		select {
		case <-e.done:
			if !fresh && e.err == nil && now.Sub(e.at) < checkedTTL {
				return e, false
			}
		default:
			return e, false
		}
	}
	if len(c.m) >= maxCheckedCommits {
		for k, old := range c.m {
			select {
			case <-old.done:
				if now.Sub(old.at) >= checkedTTL || len(c.m) >= maxCheckedCommits {
					delete(c.m, k)
				}
			default:
			}
		}
	}
	e = &checked{done: make(chan struct{}), at: now}
	c.m[key] = e
	return e, true
}

// finish records the outcome of a check registered by start; a failed
// check is not kept.
func (c *checkedCache) finish(key string, e *checked) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.err != nil && c.m[key] == e {
		delete(c.m, key)
	}
	close(e.done)
}
