package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkCheckProcess measures `contractbot check` of a fixture service as
// a whole process (start-up, rule registry, analysis, output), which is what
// a pre-commit hook or a CI step pays. Run:
//
//	go test -run '^$' -bench CheckProcess -benchtime 200x ./cmd/contractbot
func BenchmarkCheckProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "contractbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	cases := []struct{ name, dir, soa string }{
		{"web-api", "../../fixtures/services/web-api", ""},
		{"legacy-service+soa", "../../fixtures/services/legacy-service", "../../fixtures/yelpsoa-configs/example"},
	}
	for _, c := range cases {
		if _, err := os.Stat(c.dir); err != nil {
			b.Logf("skipping %s: %v", c.name, err)
			continue
		}
		args := []string{"check", "--format", "json"}
		if c.soa != "" {
			if _, err := os.Stat(c.soa); err != nil {
				continue
			}
			args = append(args, "--soa-dir", c.soa)
		}
		args = append(args, c.dir)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(bin, args...)
				if err := cmd.Run(); err != nil {
					if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
