package gitmirror

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Remote is where a mirror is fetched from and with what: the repository's
// clone_url and an installation token, which git sends as HTTP basic auth
// (user x-access-token).
type Remote struct {
	URL   string
	Token string
	// Refused, when set, is called when the server refused Token (HTTP
	// 401): the caller drops it, so that the retry mints a new one
	// instead of sending the revoked one until it expires.
	Refused func()
}

// ErrAuth marks a fetch the server refused the credentials of. It is
// transient: the next attempt comes with a new token.
var ErrAuth = errors.New("git server refused the token")

// RemoteFunc returns the remote to fetch from now; it is asked again for
// each fetch, so that a token that expired in the meantime is replaced.
type RemoteFunc func(ctx context.Context) (Remote, error)

// ErrPermanent marks a git failure that no retry can fix (the repository
// does not exist or the App may not read it, a URL contractbot refuses);
// any other failure of git is worth retrying, like a failed API request.
var ErrPermanent = errors.New("permanent git failure")

// ErrNotFound marks a fetch the server answered with "repository not
// found" (a 404). It is permanent for the URL, though the repository may
// only have moved (a rename, a transfer): the caller that kept the URL
// asks for it again.
var ErrNotFound = errors.New("git server found no repository")

// checkURL refuses every URL but https, and http for the one host the
// manager allows it for (a test server): a clone_url is input.
func (m *Manager) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("clone url %q: %w: %w", raw, err, ErrPermanent)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("clone url %q carries credentials: %w", u.Redacted(), ErrPermanent)
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("clone url %q has no host: %w", raw, ErrPermanent)
	case u.Scheme == "https":
	case u.Scheme == "http" && m.opts.AllowHTTPHost != "" && u.Host == m.opts.AllowHTTPHost:
	default:
		return nil, fmt.Errorf("clone url %q: only https is allowed: %w", raw, ErrPermanent)
	}
	return u, nil
}

// env is the whole environment of a git command: nothing of the process's
// own (no user or system configuration, no credential helper, no prompt),
// plus the configuration given as GIT_CONFIG_* variables, where a token
// stays out of argv, the repository's config and the logs.
func (m *Manager) env(gitDir string, config [][2]string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + m.home,
		"LANG=C", "LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=", "SSH_ASKPASS=",
		"GIT_DIR=" + gitDir,
	}
	base := [][2]string{
		{"credential.helper", ""},
		{"protocol.allow", "never"},
		{"core.askPass", ""},
		{"http.followRedirects", "false"},
		{"maintenance.auto", "false"},
		{"gc.autoDetach", "false"},
	}
	all := append(base, config...)
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(all)))
	for i, kv := range all {
		n := strconv.Itoa(i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+kv[0], "GIT_CONFIG_VALUE_"+n+"="+kv[1])
	}
	return env
}

// remoteConfig is the configuration that lets one fetch reach r: its
// scheme allowed, and the token as a header scoped to r's URL (so that it
// goes to that host only; redirects are not followed).
func (m *Manager) remoteConfig(r Remote) ([][2]string, error) {
	u, err := m.checkURL(r.URL)
	if err != nil {
		return nil, err
	}
	cfg := [][2]string{{"protocol." + u.Scheme + ".allow", "always"}}
	if r.Token != "" {
		if strings.ContainsAny(r.Token, "\r\n") {
			return nil, fmt.Errorf("installation token has a line break: %w", ErrPermanent)
		}
		auth := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + r.Token))
		scope := u.Scheme + "://" + u.Host + "/"
		cfg = append(cfg, [2]string{"http." + scope + ".extraHeader", "Authorization: Basic " + auth})
	}
	return cfg, nil
}

// run runs git with args in gitDir, stdin from in, within the manager's
// timeout, and returns its standard output.
func (m *Manager) run(ctx context.Context, gitDir string, config [][2]string, in io.Reader, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.opts.Git, args...)
	cmd.Env = m.env(gitDir, config)
	cmd.Dir = m.home
	cmd.Stdin = in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A git that ignores the kill (a stuck child holding the pipes) must
	// not hold the task beyond the timeout.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := firstLines(stderr.String())
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git %s: %w (%s)", args[0], ctx.Err(), msg)
		}
		return nil, classify(fmt.Errorf("git %s: %w: %s", args[0], err, msg), stderr.String())
	}
	return stdout.Bytes(), nil
}

// firstLines keeps what a log line can hold of git's complaint.
func firstLines(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

// classify marks the failures that a retry cannot fix. Anything else (a
// 5xx, a reset connection, a timeout, an expired token that the next
// attempt replaces) is left transient.
//
// What GitHub answers over smart HTTP decides it. A repository the
// installation token may not see (not installed on it, private, gone) is
// a 404, "Repository not found." (GitHub does not tell a repository it
// hides from one that does not exist), and stays permanent. A 403 says
// why on its "remote:" lines: a permission the App lacks ("Permission to
// o/r.git denied to ...", "Write access to repository not granted."), an
// organisation's SAML enforcement or IP allow list, a repository whose
// access GitHub disabled: permanent until someone changes a setting, so
// retrying for minutes only delays the dead letter that tells them. Rate
// and abuse limits come as a 429, as an ERR line ("GitHub is temporarily
// limiting ...") or as a 403 naming a secondary rate limit or abuse
// detection: transient, and checked first, as their text may say "not
// allowed". A 403 that gives no reason is left transient too: a wrong
// "permanent" dead-letters a check that a retry would have done, a wrong
// "transient" costs a few retries before the same dead letter.
func classify(err error, stderr string) error {
	s := strings.ToLower(stderr)
	for _, auth := range []string{"authentication failed", "could not read username", "the requested url returned error: 401"} {
		if strings.Contains(s, auth) {
			return fmt.Errorf("%w: %w", err, ErrAuth)
		}
	}
	for _, limit := range []string{
		"rate limit", "abuse detection", "temporarily", "try again", "retry later",
		"the requested url returned error: 429",
	} {
		if strings.Contains(s, limit) {
			return err
		}
	}
	if strings.Contains(s, "the requested url returned error: 403") {
		for _, refusal := range []string{
			"permission to", "access to repository not granted", "not granted", "saml", "ip allow list",
			"access to this repository has been disabled", "repository access blocked",
		} {
			if strings.Contains(s, refusal) {
				return fmt.Errorf("%w: %w", err, ErrPermanent)
			}
		}
		return err
	}
	for _, notFound := range []string{"repository not found", "' not found", "the requested url returned error: 404"} {
		if strings.Contains(s, notFound) {
			return fmt.Errorf("%w: %w: %w", err, ErrNotFound, ErrPermanent)
		}
	}
	for _, permanent := range []string{"not allowed", "not a git repository", "unsupported url protocol"} {
		if strings.Contains(s, permanent) {
			return fmt.Errorf("%w: %w", err, ErrPermanent)
		}
	}
	return err
}
