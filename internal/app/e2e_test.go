package app_test

// End-to-end tests: the real contractbot binary (go build) serves signed
// webhook deliveries and talks to the fake GitHub of package githubfake,
// which validates every request and response against GitHub's OpenAPI
// description. The payloads are GitHub's real example payloads
// (shared/reference/github/webhooks) with the repository, commits and
// installation changed to the fake's.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/webhook"
)

const (
	e2eSecret       = "e2e-webhook-secret"
	e2eInstallation = 77
	e2eOwner        = "acme"
)

// binary is the contractbot binary built once for all tests of the run.
var binary struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// contractbotBinary builds cmd/contractbot with `go build`, or skips the
// test when there is no go command (fails under CONTRACTBOT_REQUIRE_ITEST=1).
func contractbotBinary(t testing.TB) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatalf("the end-to-end tests build contractbot with the go command: %v", err)
		}
		t.Skipf("no go command to build contractbot: %v", err)
	}
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "contractbot-e2e-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "contractbot")
		out, err := exec.Command(goCmd, "build", "-o", binary.path, "github.com/contractbot/contractbot/cmd/contractbot").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// bot is one running `contractbot serve` process.
type bot struct {
	t       testing.TB
	fake    *githubfake.Server
	dataDir string
	env     []string
	cmd     *exec.Cmd
	addr    string
	logs    *lockedBuffer
	done    chan struct{}
	client  *http.Client
}

// startBot runs contractbot serve against fake with a fresh data directory
// and waits until it is ready.
func startBot(t testing.TB, fake *githubfake.Server, env ...string) *bot {
	t.Helper()
	b := &bot{t: t, fake: fake, dataDir: t.TempDir(), env: env, client: &http.Client{Timeout: 10 * time.Second}}
	b.start()
	t.Cleanup(b.stop)
	return b
}

func (b *bot) start() {
	b.t.Helper()
	bin := contractbotBinary(b.t)
	keyFile := filepath.Join(b.dataDir, "app-key.pem")
	if err := os.WriteFile(keyFile, b.fake.PrivateKeyPEM(), 0o600); err != nil {
		b.t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("CONTRACTBOT_APP_ID=%d", b.fake.AppID()),
		"CONTRACTBOT_PRIVATE_KEY_FILE="+keyFile,
		"CONTRACTBOT_PRIVATE_KEY=",
		"CONTRACTBOT_WEBHOOK_SECRET=old-secret-being-rotated-out,"+e2eSecret,
		"CONTRACTBOT_GITHUB_API_URL="+b.fake.URL(),
		"CONTRACTBOT_DATA_DIR="+filepath.Join(b.dataDir, "data"),
		"CONTRACTBOT_LOG_FORMAT=json",
		"CONTRACTBOT_LOG_LEVEL=debug",
		"CONTRACTBOT_SOA_REPO=",
	)
	cmd.Env = append(cmd.Env, b.env...)
	b.logs = &lockedBuffer{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	cmd.Stdout = b.logs
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.cmd = cmd
	b.done = make(chan struct{})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			b.logs.Write(append(line, '\n'))
			var l struct {
				Message string `json:"message"`
				Addr    string `json:"addr"`
			}
			if json.Unmarshal(line, &l) == nil && l.Message == "contractbot serve listening" {
				select {
				case addrc <- l.Addr:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(b.done)
	}()
	select {
	case b.addr = <-addrc:
	case <-b.done:
		b.t.Fatalf("contractbot serve exited before listening:\n%s", b.logs)
	case <-time.After(30 * time.Second):
		b.t.Fatalf("contractbot serve did not listen within 30 s:\n%s", b.logs)
	}
	b.waitReady()
}

// waitReady polls /readyz until it answers 200.
func (b *bot) waitReady() {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := b.client.Get(b.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("contractbot serve not ready within 30 s:\n%s", b.logs)
}

func (b *bot) url(p string) string { return "http://" + b.addr + p }

// stop ends the process with SIGTERM (a clean shutdown) if it still runs.
func (b *bot) stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
		b.t.Errorf("contractbot serve did not stop within 30 s of SIGTERM:\n%s", b.logs)
	}
	// A binary built with -race reports races on stderr and still runs.
	if strings.Contains(b.logs.String(), "WARNING: DATA RACE") {
		b.t.Errorf("contractbot serve reported a data race")
	}
	if b.t.Failed() {
		b.t.Logf("contractbot serve logs:\n%s", b.logs)
	}
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (b *bot) kill() {
	b.t.Helper()
	if err := b.cmd.Process.Kill(); err != nil {
		b.t.Fatal(err)
	}
	<-b.done
}

// deliver posts a signed delivery with a fresh GUID and returns the status.
func (b *bot) deliver(event string, payload []byte) int {
	b.t.Helper()
	return b.deliverAs(newGUID(b.t), event, payload, webhook.Sign([]byte(e2eSecret), payload))
}

// deliverAs posts a delivery with the given GUID and signature header
// ("" sends none).
func (b *bot) deliverAs(guid, event string, payload []byte, signature string) int {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url("/webhook"), bytes.NewReader(payload))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/e2e")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", guid)
	req.Header.Set("X-GitHub-Hook-ID", "1")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("deliver %s: %v", event, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitCheckRuns waits until n completed check runs are on owner/repo@sha
// and returns them.
func waitCheckRuns(t testing.TB, b *bot, repo, sha string, n int) []githubfake.CheckRunRecord {
	t.Helper()
	return waitCheckRunsWithin(t, b, repo, sha, n, 60*time.Second)
}

func newGUID(t testing.TB) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// lockedBuffer collects a process's output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// --- payloads -------------------------------------------------------------

// examplePayload reads one of GitHub's real example payloads.
func examplePayload(t testing.TB, name string) map[string]any {
	t.Helper()
	dir, err := githubfake.ReferenceDir(githubfake.WebhooksRelPath)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatalf("real webhook payload: %v", err)
		}
		t.Skipf("real webhook payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// setRepo points an example payload's repository (and installation) at
// owner/name in the fake.
func setRepo(m map[string]any, repo, defaultBranch string) {
	r := m["repository"].(map[string]any)
	r["name"] = repo
	r["full_name"] = e2eOwner + "/" + repo
	r["default_branch"] = defaultBranch
	if _, ok := r["master_branch"]; ok {
		r["master_branch"] = defaultBranch
	}
	owner := r["owner"].(map[string]any)
	owner["login"] = e2eOwner
	if _, ok := owner["name"]; ok {
		owner["name"] = e2eOwner
	}
	m["installation"] = map[string]any{"id": e2eInstallation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc="}
}

// pushPayload is a push of after onto branch of repo, derived from the real
// push.branch-created.1.json: GitHub's examples have no push to an existing
// branch, so created is false and before is the previous head. files are
// the paths the push changed.
func pushPayload(t testing.TB, repo, branch, before, after string, files ...string) []byte {
	t.Helper()
	m := examplePayload(t, "push.branch-created.1.json")
	setRepo(m, repo, "main")
	m["ref"] = "refs/heads/" + branch
	m["before"], m["after"] = before, after
	m["created"] = before == "0000000000000000000000000000000000000000"
	commit := m["head_commit"].(map[string]any)
	commit["id"] = after
	commit["added"], commit["removed"] = []string{}, []string{}
	commit["modified"] = append([]string{}, files...)
	m["commits"] = []any{commit}
	return mustJSON(t, m)
}

// pullRequestPayload is a pull_request event from the real
// pull_request.<action>.json for pull request number (opened in the fake
// with OpenPull), with the head at headSHA on branch and the base at
// baseSHA on main.
func pullRequestPayload(t testing.TB, file, repo, branch, headSHA, baseSHA string, number int) []byte {
	t.Helper()
	m := examplePayload(t, file)
	setRepo(m, repo, "main")
	m["number"] = number
	pr := m["pull_request"].(map[string]any)
	pr["number"] = number
	head, base := pr["head"].(map[string]any), pr["base"].(map[string]any)
	head["sha"], head["ref"] = headSHA, branch
	base["sha"], base["ref"] = baseSHA, "main"
	for _, side := range []map[string]any{head, base} {
		side["repo"] = m["repository"]
	}
	return mustJSON(t, m)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- fixtures -------------------------------------------------------------

const goodMakefile = `# A service Makefile that keeps the PaaSTA contract.
DOCKER_TAG ?= example-service-dev-$(USER)

.PHONY: test itest cook-image

test:
	go test ./...

itest: cook-image
	docker run --rm $(DOCKER_TAG) ./run-system-tests

cook-image:
	docker build -t $(DOCKER_TAG) .
`

const goodDockerfile = `FROM debian:bookworm-slim
COPY service /usr/local/bin/service
EXPOSE 8888
CMD ["/usr/local/bin/service"]
`

func goodService() map[string]string {
	return map[string]string{
		"Makefile":   goodMakefile,
		"Dockerfile": goodDockerfile,
		"README.md":  "# example service\n",
		"main.go":    "package main\n\nfunc main() {}\n",
	}
}

func withFiles(base map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

// apiCalls sums the fake's call counts.
func apiCalls(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

// reconcilerOps are the requests of the periodic redelivery pass, which
// runs on its own clock and belongs to no push event.
var reconcilerOps = map[string]bool{
	"apps/list-webhook-deliveries":    true,
	"apps/redeliver-webhook-delivery": true,
}

func diffCalls(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if reconcilerOps[k] {
			continue
		}
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
