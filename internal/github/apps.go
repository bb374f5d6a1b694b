package github

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/golang-jwt/jwt/v4"
	gogithub "github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// DefaultBaseURL is GitHub.com's REST API root.
const DefaultBaseURL = "https://api.github.com/"

// DefaultTimeout bounds one HTTP attempt (headers and body), as
// policy-bot does; retries get a fresh timeout each.
const DefaultTimeout = 10 * time.Second

// DefaultMaxWait is the longest the transport sleeps for a rate limit or
// retry before giving up with a [*RateLimitError] so that the caller can
// reschedule the work instead of tying up a worker.
const DefaultMaxWait = 30 * time.Second

// maxCachedInstallations bounds the installation client cache. Clients are
// small (a token and a few pointers); the bound only stops a flood of
// installation ids from growing memory without limit.
const maxCachedInstallations = 8192

// Option configures [NewApps].
type Option func(*config)

type config struct {
	base           http.RoundTripper
	userAgent      string
	timeout        time.Duration
	reg            prometheus.Registerer
	log            zerolog.Logger
	blobCacheBytes int64
	maxBlobBytes   int64
	etagCacheBytes int64
	maxAnnotations int
	maxAttempts    int
	maxWait        time.Duration
	clock          clock
	// maxTreeRequests and maxTreeEntries bound completing a truncated
	// tree (treewalk.go); treeCacheEntries bounds the sub-tree listings kept (treecache.go).
	maxTreeRequests  int
	maxTreeEntries   int
	treeCacheEntries int
}

// WithTransport sets the innermost round tripper (tests point it at the
// fake GitHub). The default is a clone of [http.DefaultTransport].
func WithTransport(rt http.RoundTripper) Option { return func(c *config) { c.base = rt } }

// WithHTTPClient uses hc's transport as the innermost round tripper; hc's
// own Timeout is ignored in favour of [WithTimeout].
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc != nil && hc.Transport != nil {
			c.base = hc.Transport
		}
	}
}

// WithUserAgent sets the User-Agent header GitHub asks every client to send.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// WithTimeout bounds each HTTP attempt (default [DefaultTimeout]).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMetrics registers the client's Prometheus metrics with r.
func WithMetrics(r prometheus.Registerer) Option { return func(c *config) { c.reg = r } }

// WithLogger sets the logger for retries and rate-limit waits.
func WithLogger(l zerolog.Logger) Option { return func(c *config) { c.log = l } }

// WithBlobCacheBytes bounds the content-addressed blob cache shared by all
// installations (default [DefaultBlobCacheBytes]; 0 disables it).
func WithBlobCacheBytes(n int64) Option { return func(c *config) { c.blobCacheBytes = n } }

// WithMaxBlobBytes sets the largest file a [TreeFS] reads (default
// [DefaultMaxBlobBytes]).
func WithMaxBlobBytes(n int64) Option { return func(c *config) { c.maxBlobBytes = n } }

// WithETagCacheBytes bounds the conditional-request cache (default 8 MiB;
// 0 disables conditional requests).
func WithETagCacheBytes(n int64) Option { return func(c *config) { c.etagCacheBytes = n } }

// WithMaxAnnotations caps the annotations of one check run (default
// [DefaultMaxAnnotations]); the rest are counted in the summary.
func WithMaxAnnotations(n int) Option { return func(c *config) { c.maxAnnotations = n } }

// WithRetries sets how many attempts a request gets on 5xx responses and
// connection errors (default 4, minimum 1).
func WithRetries(attempts int) Option { return func(c *config) { c.maxAttempts = max(attempts, 1) } }

// WithMaxWait sets the ceiling on sleeping for one request (rate limits and
// backoff together, default [DefaultMaxWait]). A wait beyond it fails the
// request at once with a [*RateLimitError] carrying the time to retry at.
func WithMaxWait(d time.Duration) Option { return func(c *config) { c.maxWait = d } }

// withClock replaces time and sleeping in tests.
func withClock(cl clock) Option { return func(c *config) { c.clock = cl } }

// Apps creates clients for one GitHub App. It is safe for concurrent use.
type Apps struct {
	appID   int64
	key     *rsa.PrivateKey
	baseURL *url.URL
	cfg     config
	m       *metrics
	blobs   *blobCache
	trees   *treeCache // verified sub-tree listings (treewalk.go)
	etags   *etagCache
	app     *http.Client // JWT-authenticated
	notes   runLocks     // notes on one check run take turns (gitdata.go)

	mu      sync.Mutex
	clients map[int64]*Client
	slug    string // from the last successful Verify
}

// NewApps returns the client factory for the App appID with the given
// private key. baseURL is the REST root ("" means [DefaultBaseURL]; GitHub
// Enterprise uses "https://HOST/api/v3/").
func NewApps(appID int64, privateKeyPEM []byte, baseURL string, opts ...Option) (*Apps, error) {
	if appID <= 0 {
		return nil, errors.New("github app id must be a positive number")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(privateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("github app private key: %w", err)
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("github api url %q: want http(s)://host/path/", baseURL)
	}
	cfg := config{
		userAgent:        "contractbot",
		timeout:          DefaultTimeout,
		log:              zerolog.Nop(),
		blobCacheBytes:   DefaultBlobCacheBytes,
		maxBlobBytes:     DefaultMaxBlobBytes,
		maxTreeRequests:  DefaultMaxTreeRequests,
		maxTreeEntries:   DefaultMaxTreeEntries,
		treeCacheEntries: DefaultTreeCacheEntries,
		etagCacheBytes:   8 << 20,
		maxAnnotations:   DefaultMaxAnnotations,
		maxAttempts:      4,
		maxWait:          DefaultMaxWait,
		clock:            realClock{},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.base == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Every request goes to one host; the default of 2 idle connections
		// per host would open and close connections under concurrent workers.
		tr.MaxIdleConnsPerHost = 64
		cfg.base = tr
	}
	m, err := newMetrics(cfg.reg)
	if err != nil {
		return nil, err
	}
	a := &Apps{
		appID:   appID,
		key:     key,
		baseURL: u,
		cfg:     cfg,
		m:       m,
		blobs:   newBlobCache(cfg.blobCacheBytes, m),
		trees:   newTreeCache(cfg.treeCacheEntries),
		etags:   newETagCache(cfg.etagCacheBytes),
		clients: map[int64]*Client{},
	}
	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.chain("app"), appID, key)
	atr.BaseURL = strings.TrimSuffix(u.String(), "/")
	a.app = &http.Client{Transport: atr}
	return a, nil
}

// AppID returns the App's id.
func (a *Apps) AppID() int64 { return a.appID }

// Verify checks that GitHub accepts the App's credentials (GET /app). It is
// meant for a readiness probe.
func (a *Apps) Verify(ctx context.Context) error {
	var out struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	}
	if err := a.do(ctx, a.app, http.MethodGet, "app", nil, &out); err != nil {
		return fmt.Errorf("verify github app credentials: %w", err)
	}
	if out.ID != 0 && out.ID != a.appID {
		return fmt.Errorf("verify github app credentials: key belongs to app %d, not %d", out.ID, a.appID)
	}
	a.mu.Lock()
	a.slug = out.Slug
	a.mu.Unlock()
	return nil
}

// Slug returns the App's slug as GitHub reported it to the last successful
// [Apps.Verify] ("" before that). Events the App itself caused come from
// the user "<slug>[bot]".
func (a *Apps) Slug() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.slug
}

// RepoInstallation returns the id of the App's installation on owner/repo
// (GET /repos/{owner}/{repo}/installation), e.g. to read the soa
// repository when it lives in another installation.
func (a *Apps) RepoInstallation(ctx context.Context, owner, repo string) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	if err := a.do(ctx, a.app, http.MethodGet, "repos/"+pathEscape(owner)+"/"+pathEscape(repo)+"/installation", nil, &out); err != nil {
		return 0, fmt.Errorf("find installation of %s/%s: %w", owner, repo, err)
	}
	return out.ID, nil
}

// Installation returns the client for installation id, creating it on
// first use. Clients are cached; the token is minted on the first request
// and refreshed by ghinstallation a minute before it expires.
func (a *Apps) Installation(ctx context.Context, id int64) (*Client, error) {
	if id <= 0 {
		return nil, fmt.Errorf("github installation id %d: must be positive", id)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[id]; ok {
		return c, nil
	}
	if len(a.clients) >= maxCachedInstallations {
		for k := range a.clients { // evict one arbitrary client
			delete(a.clients, k)
			break
		}
	}
	label := strconv.FormatInt(id, 10)
	perms := &grantedPermissions{}
	atr := ghinstallation.NewAppsTransportFromPrivateKey(perms.recorder(a.chain(label)), a.appID, a.key)
	atr.BaseURL = strings.TrimSuffix(a.baseURL.String(), "/")
	itr := ghinstallation.NewFromAppsTransport(atr, id)
	// Without options ghinstallation posts the body "null", which GitHub's
	// schema for the endpoint does not allow (the fake caught it); "{}" asks
	// for the installation's full permissions just the same.
	itr.InstallationTokenOptions = &gogithub.InstallationTokenOptions{}
	c := &Client{apps: a, id: id, hc: &http.Client{Transport: itr}, tokens: itr, perms: perms}
	a.clients[id] = c
	return c, nil
}

// Forget drops the cached client of installation id (deleted or suspended),
// so that the next use mints a new token or fails.
func (a *Apps) Forget(id int64) {
	a.mu.Lock()
	delete(a.clients, id)
	a.mu.Unlock()
	a.m.forget(strconv.FormatInt(id, 10))
}

// Client is the API client of one installation. It is safe for concurrent
// use.
type Client struct {
	apps *Apps
	id   int64
	hc   *http.Client
	// tokens mints the installation's tokens; the permissions GitHub
	// granted come with each one ([Client.Permissions]).
	tokens *ghinstallation.Transport
	perms  *grantedPermissions
}

// do sends a request as the installation. A 401 means GitHub no longer
// accepts the cached token (revoked, or the App was reinstalled), which
// ghinstallation would keep using until it expires: the client is dropped
// from the cache so that the next [Apps.Installation] mints a new one.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	err := c.apps.do(ctx, c.hc, method, path, in, out)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
		c.apps.mu.Lock()
		if c.apps.clients[c.id] == c {
			delete(c.apps.clients, c.id)
		}
		c.apps.mu.Unlock()
	}
	return err
}

// InstallationID returns the installation the client acts for.
func (c *Client) InstallationID() int64 { return c.id }

// DefaultBranch returns the name of owner/repo's default branch
// (GET /repos/{owner}/{repo}, a conditional request when repeated).
func (c *Client) DefaultBranch(ctx context.Context, owner, repo string) (string, error) {
	var out struct {
		DefaultBranch string `json:"default_branch"`
	}
	if err := c.do(ctx, http.MethodGet, repoPath(owner, repo), nil, &out); err != nil {
		return "", fmt.Errorf("get repository %s/%s: %w", owner, repo, err)
	}
	if out.DefaultBranch == "" {
		return "", fmt.Errorf("get repository %s/%s: no default branch", owner, repo)
	}
	return out.DefaultBranch, nil
}

// DefaultBranchHead returns the name of owner/repo's default branch and the
// commit SHA at its tip (two requests: the repository and the branch ref).
// The soa tree is cached by that SHA and refreshed on the soa repository's
// push events.
func (c *Client) DefaultBranchHead(ctx context.Context, owner, repo string) (branch, sha string, err error) {
	branch, err = c.DefaultBranch(ctx, owner, repo)
	if err != nil {
		return "", "", err
	}
	var out struct {
		Object struct {
			Type string `json:"type"`
			SHA  string `json:"sha"`
		} `json:"object"`
	}
	// The ref is one path parameter that may contain "/" (heads/feature/x);
	// GitHub accepts it unescaped, so escape only each segment.
	p := repoPath(owner, repo) + "/git/ref/heads/" + escapeSegments(branch)
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return "", "", fmt.Errorf("get head of %s/%s@%s: %w", owner, repo, branch, err)
	}
	if out.Object.Type != "commit" || !IsSHA(out.Object.SHA) {
		return "", "", fmt.Errorf("get head of %s/%s@%s: ref points at a %s, not a commit", owner, repo, branch, out.Object.Type)
	}
	return branch, out.Object.SHA, nil
}

func repoPath(owner, repo string) string {
	return "repos/" + pathEscape(owner) + "/" + pathEscape(repo)
}

func pathEscape(s string) string { return url.PathEscape(s) }

func escapeSegments(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// IsSHA reports whether s is a full commit SHA as GitHub writes it: 40
// lower-case hex digits.
func IsSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
