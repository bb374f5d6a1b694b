// Package registry asks a Docker registry (HTTP API v2) whether an image
// exists, within a short timeout, failing open or closed when the registry
// cannot answer.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one question to the registry. GitHub Enterprise
// Server kills a pre-receive hook after 5 s, so the registry must answer
// (or be given up on) well within that.
const DefaultTimeout = 2 * time.Second

// manifestTypes are the manifest media types a PaaSTA image may have; a
// registry answers 404 for a manifest whose type the client does not
// accept, so all of them are listed.
var manifestTypes = strings.Join([]string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
}, ", ")

// Client checks images in one registry.
type Client struct {
	base     *url.URL
	http     *http.Client
	timeout  time.Duration
	failOpen bool
	warn     func(msg string)
}

// Options configure a Client.
type Options struct {
	// Timeout bounds each question (default DefaultTimeout).
	Timeout time.Duration
	// FailOpen makes an unreachable registry count as "the image exists":
	// the push is accepted and Warn is told why. Without it an unreachable
	// registry is an error, and the hook refuses the deploy (fail closed).
	FailOpen bool
	// Warn receives the fail-open message; nil discards it.
	Warn func(msg string)
	// Transport replaces http.DefaultTransport (tests).
	Transport http.RoundTripper
}

// New returns a client for the registry at rawURL, such as
// http://127.0.0.1:5000 or https://registry.example.com.
func New(rawURL string, opts Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q: want http://host[:port] or https://host[:port]", rawURL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{
		base:     u,
		http:     &http.Client{Transport: opts.Transport, CheckRedirect: limitRedirects},
		timeout:  opts.Timeout,
		failOpen: opts.FailOpen,
		warn:     opts.Warn,
	}, nil
}

func limitRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	return nil
}

// HasImage asks HEAD /v2/<repository>/manifests/<tag>: 200 means the image
// exists, 404 that it does not. Anything else (timeout, refused
// connection, 5xx, 401) means the registry could not answer; the client
// then fails open or closed as configured.
func (c *Client) HasImage(ctx context.Context, repository, tag string) (bool, error) {
	ok, err := c.head(ctx, repository, tag)
	if err == nil {
		return ok, nil
	}
	if c.failOpen {
		if c.warn != nil {
			c.warn(fmt.Sprintf("registry %s could not say whether %s:%s exists (%v); accepting (fail-open)", c.base.Host, repository, tag, err))
		}
		return true, nil
	}
	return false, fmt.Errorf("registry %s did not answer (%w); refusing (fail-closed): retry when it is up", c.base.Host, err)
}

func (c *Client) head(ctx context.Context, repository, tag string) (bool, error) {
	// The one bound on the question; the http.Client has none of its own,
	// so a timeout always reads as context.DeadlineExceeded.
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path += "/v2/" + repository + "/manifests/" + tag
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", manifestTypes)
	req.Header.Set("User-Agent", "contractbot-hook")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return false, fmt.Errorf("no answer within %s", c.timeout)
		}
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("HTTP %s", resp.Status)
}
