// Package pgtest starts a throw-away PostgreSQL server for tests: a fresh
// cluster in a temporary directory, listening on 127.0.0.1 on a free port,
// stopped when the test ends.
//
// PostgreSQL refuses to run as root, so when the test runs as root (as CI
// does) the server runs as the "postgres" user through runuser. Tests skip
// when PostgreSQL is not installed, unless CONTRACTBOT_REQUIRE_ITEST=1.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running PostgreSQL cluster owned by one test.
type Server struct {
	bin     string // directory of initdb and pg_ctl
	dataDir string
	sockDir string
	port    int
	runAs   string // "" or the user to run the server as
	t       testing.TB
}

// Start creates and starts a cluster, or skips t when PostgreSQL is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatalf("PostgreSQL is required (CONTRACTBOT_REQUIRE_ITEST=1): %v", err)
		}
		t.Skipf("PostgreSQL not installed: %v", err)
	}
	s := &Server{bin: bin, t: t}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Fatalf("running as root needs a postgres user to run the server: %v", err)
		}
		s.runAs = "postgres"
	}
	root, err := os.MkdirTemp("", "contractbot-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	s.dataDir = filepath.Join(root, "data")
	s.sockDir = filepath.Join(root, "sock")
	for _, d := range []string{s.dataDir, s.sockDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if s.runAs != "" {
		// The server's user must own its directories and reach them.
		if err := os.Chmod(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("chown", "-R", s.runAs, root).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v: %s", root, err, out)
		}
	}
	if out, err := s.command(context.Background(), "initdb", "-D", s.dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.port = freePort(t)
	s.start()
	t.Cleanup(s.stop)
	return s
}

// URL is a connection string for the cluster's postgres database.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Restart stops the server (fast shutdown: connections are cut) and starts it
// again on the same port and data, as an operator's restart would.
func (s *Server) Restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

// Stop stops the server; Start it again with Restart.
func (s *Server) Stop() { s.stop() }

func (s *Server) start() {
	s.t.Helper()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on -c max_connections=200", s.port, s.sockDir)
	cmd := s.command(context.Background(), "pg_ctl", "-D", s.dataDir, "-o", opts, "-l", filepath.Join(s.dataDir, "server.log"), "-w", "-t", "60", "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dataDir, "server.log"))
		s.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

func (s *Server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s.command(ctx, "pg_ctl", "-D", s.dataDir, "-m", "fast", "-w", "stop").Run()
}

func (s *Server) command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, prog)
	if s.runAs != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	}
	return exec.CommandContext(ctx, path, args...)
}

// findBin finds the directory holding initdb: Debian keeps it out of PATH in
// /usr/lib/postgresql/<major>/bin.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb in PATH or /usr/lib/postgresql/*/bin (apt-get install postgresql)")
}

func majorOf(dir string) int {
	n, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(dir, "/usr/lib/postgresql/"), "/")[0])
	return n
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
