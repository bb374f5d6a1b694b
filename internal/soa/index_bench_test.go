package soa

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

// writeScaledRepo writes services synthetic services of files files each
// under dir, the first withStack of them with a smartstack.yaml (and a
// proxy_port of their own), the others without one, as in a large
// organisation's soa repository where most services are not in SmartStack.
func writeScaledRepo(tb testing.TB, dir string, services, withStack, files int) {
	tb.Helper()
	for i := range services {
		name := fmt.Sprintf("svc%04d", i)
		if err := soatest.WriteService(dir, name, 19000+i%soatest.MaxServices, files); err != nil {
			tb.Fatal(err)
		}
		if i < withStack {
			continue
		}
		sd := filepath.Join(dir, name)
		if err := os.Remove(filepath.Join(sd, "smartstack.yaml")); err != nil {
			tb.Fatal(err)
		}
		// Without SmartStack, the instances register nowhere.
		ks, _ := filepath.Glob(filepath.Join(sd, "kubernetes-*.yaml"))
		for _, k := range ks {
			data, err := os.ReadFile(k)
			if err != nil {
				tb.Fatal(err)
			}
			out := strings.ReplaceAll(string(data), "  registrations: ["+name+".main]\n", "")
			if err := os.WriteFile(k, []byte(out), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// BenchmarkRepoIndex compares building the index of a 4,000-service soa
// tree (1,800 services with a smartstack.yaml, 10 files each, as in issue
// 12) with deriving it from the previous head's index when 1 or 2,000
// services changed. The tree is on disk (os.DirFS, page-cached): the cost
// is reading and parsing the smartstack.yaml files the index needs.
func BenchmarkRepoIndex(b *testing.B) {
	dir := b.TempDir()
	writeScaledRepo(b, dir, 4000, 1800, 10)
	fsys := os.DirFS(dir)
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
		// Every other service, so that half of the changed ones have a
		// smartstack.yaml to re-read.
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("svc%04d/smartstack.yaml", (i*2+1)%4000)
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
