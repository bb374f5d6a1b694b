package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

// writeFleet writes a soa tree of n services of files YAML files each
// under dir/soa and, for every other service, a checkout under dir/repos
// (a copy of a bundled example service: web-api, which keeps the
// contract, or legacy-service, which does not). SmartStack's port range
// holds soatest.MaxServices services, so beyond that services share a
// proxy_port with an earlier one, which soa.proxy-port reports.
func writeFleet(b *testing.B, dir string, n, files int) (soaDir, reposDir string) {
	b.Helper()
	soaDir, reposDir = filepath.Join(dir, "soa"), filepath.Join(dir, "repos")
	examples := map[string]map[string][]byte{}
	for _, ex := range []string{"web-api", "legacy-service"} {
		examples[ex] = map[string][]byte{}
		for _, f := range []string{"Makefile", "Dockerfile"} {
			body, err := os.ReadFile(filepath.Join("../../fixtures/services", ex, f))
			if err == nil {
				examples[ex][f] = body
			}
		}
	}
	for i := range n {
		name := fmt.Sprintf("svc%04d", i)
		if err := soatest.WriteService(soaDir, name, 19000+i%soatest.MaxServices, files); err != nil {
			b.Fatal(err)
		}
		if i%2 != 0 {
			continue
		}
		ex := "web-api"
		if i%10 == 0 {
			ex = "legacy-service"
		}
		if err := os.MkdirAll(filepath.Join(reposDir, name), 0o755); err != nil {
			b.Fatal(err)
		}
		for f, body := range examples[ex] {
			if err := os.WriteFile(filepath.Join(reposDir, name, f), body, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	return soaDir, reposDir
}

// BenchmarkReport is `contractbot report` over 4,000 services in process
// (every check, then the rendering), by format; see BENCHMARKS.md. With
// CONTRACTBOT_BENCH_FLEET_DIR set, the fleet is written there and kept,
// for the whole-process figures.
func BenchmarkReport(b *testing.B) {
	const services, files = 4000, 10
	dir := os.Getenv("CONTRACTBOT_BENCH_FLEET_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	soaDir, reposDir := writeFleet(b, dir, services, files)
	cases := []struct {
		name string
		args []string
	}{
		{"soa/markdown", []string{"--soa-dir", soaDir, "--format", "markdown"}},
		{"soa+repos/markdown", []string{"--soa-dir", soaDir, "--repos", reposDir, "--format", "markdown"}},
		{"soa+repos/html", []string{"--soa-dir", soaDir, "--repos", reposDir, "--format", "html"}},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%d/%s", services, c.name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var errb strings.Builder
				out := &countingWriter{}
				code := run(context.Background(), stdio{strings.NewReader(""), out, &errb}, append([]string{"report"}, c.args...))
				if code != exitOK && code != exitFindings {
					b.Fatalf("exit %d, stderr %q", code, errb.String())
				}
				b.ReportMetric(float64(out.n), "output-bytes")
			}
		})
	}
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return io.Discard.Write(p)
}
