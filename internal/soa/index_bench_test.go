package soa

import (
	"context"
	"fmt"
	"testing"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

// BenchmarkRepoIndex compares building the index of a 4,000-service soa
// tree (1,800 services with a smartstack.yaml, 10 files each, as in issue
// 12) with deriving it from the previous head's index when 1 or 2,000
// services changed. The tree is in memory, as the App's git-object trees
// are once read: the cost is finding and parsing the smartstack.yaml files
// the index needs.
func BenchmarkRepoIndex(b *testing.B) {
	files, err := soatest.BigRepo()
	if err != nil {
		b.Fatal(err)
	}
	fsys := soatest.NewMemFS(files)
	ctx := context.Background()
	lim := DefaultLimits()
	base, err := BuildRepoIndex(ctx, fsys, lim)
	if err != nil {
		b.Fatal(err)
	}
	if base.Services() != 1800 {
		b.Fatalf("%v, want 1,800 services with smartstack.yaml", base)
	}
	changed := func(n int) []string {
		if n == 1 { // a service in SmartStack, whose file is re-read
			for i := 0; ; i++ {
				if _, ok := soatest.HasSmartStack(i, soatest.BigServices, soatest.BigSmartStack); ok {
					return []string{fmt.Sprintf("svc%04d/smartstack.yaml", i)}
				}
			}
		}
		// Every other service: 45% of them have a smartstack.yaml.
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("svc%04d/smartstack.yaml", (i*2+1)%soatest.BigServices)
		}
		return out
	}
	b.Run("full build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := BuildRepoIndex(ctx, fsys, lim); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{1, 2000} {
		ch := changed(n)
		b.Run(fmt.Sprintf("derived, %d changed", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := base.Derive(ctx, fsys, ch, lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
