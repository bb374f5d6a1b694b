// Package registrytest runs Debian's docker-registry (the CNCF distribution
// registry) for tests, on 127.0.0.1 with a temporary storage directory, and
// uploads image manifests to it through the HTTP API, with no Docker engine.
package registrytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Server is a running registry.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	done chan error
}

// Start starts docker-registry and stops it when the test ends. Without the
// program the test is skipped, or fails when CONTRACTBOT_REQUIRE_ITEST=1.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("docker-registry is not installed (apt-get install docker-registry)")
		}
		t.Skip("docker-registry is not installed")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("docker-registry exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry did not start on %s\n%s", addr, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the registry; it is safe to call twice.
func (s *Server) Stop() {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.done <- nil // later Stops return at once
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Push uploads a small image (a config blob, one layer and a schema2
// manifest) as repository:tag.
func (s *Server) Push(t testing.TB, repository, tag string) {
	t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)
	layer := []byte("contractbot test layer " + repository + ":" + tag)
	cd := s.blob(t, repository, config)
	ld := s.blob(t, repository, layer)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
		"config":        map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config), "digest": cd},
		"layers":        []any{map[string]any{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer), "digest": ld}},
	})
	req, _ := http.NewRequest(http.MethodPut, s.URL+"/v2/"+repository+"/manifests/"+tag, bytes.NewReader(manifest))
	req.Header.Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest %s:%s: %s", repository, tag, resp.Status)
	}
}

// blob uploads data monolithically (POST then PUT with the digest).
func (s *Server) blob(t testing.TB, repository string, data []byte) string {
	t.Helper()
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
	resp, err := http.Post(s.URL+"/v2/"+repository+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST blob upload: %s", resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT blob %s: %s", digest, resp.Status)
	}
	return digest
}
