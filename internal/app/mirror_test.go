package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/soa"
)

func TestMirrorChoosers(t *testing.T) {
	for _, tc := range []struct {
		name, path         string
		index, inWeb, repo bool
	}{
		{"a service's smartstack.yaml is read by the index", "web/smartstack.yaml", true, true, true},
		{"a service's other file is not read by the index", "web/kubernetes-prod.yaml", false, true, true},
		{"a top-level file is read (.contractbot.yaml)", ".contractbot.yaml", true, false, true},
		{"a smartstack.yaml under a dot-directory is no service's", ".github/smartstack.yaml", false, false, true},
		{"a deeper smartstack.yaml is no service's", "web/sub/smartstack.yaml", false, true, true},
		{"another service's file is not the changed service's", "api/deploy.yaml", false, false, true},
		{"a deep file is not prefetched for a service repository", "a/b/c/Makefile", false, false, false},
		{"an included makefile near the top is", "make/common.mk", false, false, true},
		{"source code is not", "cmd/main.go", false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readsIndex(tc.path); got != tc.index {
				t.Errorf("readsIndex(%q) = %v, want %v", tc.path, got, tc.index)
			}
			if got := inDirs([]string{"web"})(tc.path); got != tc.inWeb {
				t.Errorf("inDirs(web)(%q) = %v, want %v", tc.path, got, tc.inWeb)
			}
			if got := readsRepo(tc.path); got != tc.repo {
				t.Errorf("readsRepo(%q) = %v, want %v", tc.path, got, tc.repo)
			}
		})
	}
}

func TestChangedDirectoriesBecomeServices(t *testing.T) {
	got := serviceDirs(appendSlash([]string{"web", ".github", "api"}))
	if want := "api,web"; strings.Join(got, ",") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func TestEachService(t *testing.T) {
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("svc%03d", i)
	}
	t.Run("results come back in the order of the services", func(t *testing.T) {
		got, err := eachService(context.Background(), names, func(_ context.Context, s string) (*checks.Result, error) {
			return &checks.Result{Service: s}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r.Service != names[i] {
				t.Fatalf("result %d is %s's, want %s's", i, r.Service, names[i])
			}
		}
	})
	t.Run("an error of one service is the error of all", func(t *testing.T) {
		_, err := eachService(context.Background(), names, func(_ context.Context, s string) (*checks.Result, error) {
			if s == "svc050" {
				return nil, errors.New("broken")
			}
			return &checks.Result{Service: s}, nil
		})
		if err == nil || err.Error() != "broken" {
			t.Errorf("error %v, want broken", err)
		}
	})
	t.Run("the error that stopped the rest is reported, not the cancellation it caused in a service before it", func(t *testing.T) {
		if runtime.GOMAXPROCS(0) < 2 {
			t.Skip("needs two services checked at once")
		}
		// svc000 runs until the others are cancelled, as a check in
		// Prepare does; svc001 fails meanwhile.
		started := make(chan struct{})
		_, err := eachService(context.Background(), names[:2], func(ctx context.Context, s string) (*checks.Result, error) {
			if s == "svc001" {
				<-started
				return nil, errors.New("broken")
			}
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		if err == nil || err.Error() != "broken" {
			t.Errorf("error %v, want broken", err)
		}
	})
	t.Run("a cancelled context ends the loop with its error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := eachService(ctx, names, func(ctx context.Context, s string) (*checks.Result, error) {
			return &checks.Result{Service: s}, ctx.Err()
		}); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
}

func TestTwoChecksOfOneSOACommitBuildItsCacheOnce(t *testing.T) {
	mr := &mirrors{branches: map[string]string{}}
	var mu sync.Mutex
	builds := 0
	build := func(*soaSnapshot) *soa.Cache {
		mu.Lock()
		builds++
		mu.Unlock()
		time.Sleep(50 * time.Millisecond) // an index of 4,000 services takes a while
		return soa.NewCache(fstest.MapFS{}, nil, soa.DefaultLimits())
	}
	caches := make([]*soa.Cache, 8)
	var wg sync.WaitGroup
	for i := range caches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache, err := mr.cacheFor(context.Background(), "c1", build)
			if err != nil {
				t.Error(err)
			}
			caches[i] = cache
		}()
	}
	wg.Wait()
	if builds != 1 {
		t.Errorf("8 checks racing on one soa commit built its cache %d times, want 1", builds)
	}
	for i, c := range caches {
		if c != caches[0] {
			t.Errorf("check %d got a cache of its own", i)
		}
	}
	// A waiter whose task ends stops waiting.
	block := make(chan struct{})
	go mr.cacheFor(context.Background(), "c2", func(*soaSnapshot) *soa.Cache { <-block; return caches[0] })
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := mr.cacheFor(ctx, "c2", build); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a wait for another check's build past the deadline: %v, want the deadline's error", err)
	}
	close(block)
}
