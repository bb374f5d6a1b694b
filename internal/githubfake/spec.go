package githubfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// SpecRelPath is where GitHub's OpenAPI subset lives relative to the
// directory that holds the repository (the repository's parent).
const SpecRelPath = "shared/reference/github/openapi/api.github.com.subset.json"

// WebhooksRelPath is where the real webhook payloads live, likewise.
const WebhooksRelPath = "shared/reference/github/webhooks"

// RequireEnv is the environment variable that turns a missing reference
// file into a failure instead of a skip.
const RequireEnv = "CONTRACTBOT_REQUIRE_ITEST"

// ReferenceDir returns <repo root>/../shared/reference/github/<rel> where
// the repository root is the nearest directory above the working directory
// holding go.mod. It does not check that the file exists.
func ReferenceDir(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), filepath.FromSlash(rel)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("githubfake: no go.mod above the working directory")
		}
		dir = parent
	}
}

// requireReference returns the path of a reference file or directory. When
// it is missing the test is skipped, unless RequireEnv is "1": then it
// fails, naming the path.
func requireReference(t testing.TB, rel string) string {
	t.Helper()
	p, err := ReferenceDir(rel)
	if err != nil {
		t.Fatalf("githubfake: %v", err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("githubfake: GitHub reference data missing: %v (%s=1; the CI clone must have shared/ beside the repository)", err, RequireEnv)
		}
		t.Skipf("githubfake: GitHub reference data missing, skipping: %v (set %s=1 to fail instead)", err, RequireEnv)
	}
	return p
}

// spec is the loaded OpenAPI document with a router that, unlike kin's
// gorillamux router, matches path parameters that contain "/".
type spec struct {
	doc      *openapi3.T
	routes   []specRoute
	examples sync.Map // example key -> []byte (JSON), copied per response
}

type specRoute struct {
	tmpl   string
	re     *regexp.Regexp
	params []string
	item   *openapi3.PathItem
}

// specCache parses each document once per process: it is 1.3 MB, takes
// a noticeable time to load, is read-only once loaded, and every fake of a
// test binary validates against it. It is the package's only shared state.
var specCache sync.Map // path -> *specOnce

type specOnce struct {
	once sync.Once
	s    *spec
	err  error
}

func getSpec(path string) (*spec, error) {
	v, _ := specCache.LoadOrStore(path, &specOnce{})
	so := v.(*specOnce)
	so.once.Do(func() { so.s, so.err = parseSpec(path) })
	return so.s, so.err
}

func parseSpec(path string) (*spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	// GitHub's own examples fail kin's example checks (non-RFC 3339 dates);
	// everything else must validate.
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", path, err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	s := &spec{doc: doc}
	paramRE := regexp.MustCompile(`\{[^}]+\}`)
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		var names []string
		re := "^"
		last := 0
		for _, loc := range paramRE.FindAllStringIndex(tmpl, -1) {
			re += regexp.QuoteMeta(tmpl[last:loc[0]])
			name := tmpl[loc[0]+1 : loc[1]-1]
			names = append(names, name)
			if name == "owner" || name == "repo" || strings.HasSuffix(name, "_id") || name == "pull_number" || name == "issue_number" {
				re += "([^/]+)"
			} else {
				re += "(.+)"
			}
			last = loc[1]
		}
		re += regexp.QuoteMeta(tmpl[last:]) + "$"
		s.routes = append(s.routes, specRoute{tmpl: tmpl, re: regexp.MustCompile(re), params: names, item: doc.Paths.Value(tmpl)})
	}
	// Longest literal text first, so /git/ref/{ref} never swallows a longer
	// literal route.
	literal := func(t string) int { return len(paramRE.ReplaceAllString(t, "")) }
	slices.SortStableFunc(s.routes, func(a, b specRoute) int { return literal(b.tmpl) - literal(a.tmpl) })
	return s, nil
}

// route finds the operation for method and escaped path.
func (s *spec) route(method, escapedPath string) (*routers.Route, map[string]string, bool) {
	for _, r := range s.routes {
		m := r.re.FindStringSubmatch(escapedPath)
		if m == nil {
			continue
		}
		op := r.item.GetOperation(method)
		if op == nil {
			continue
		}
		params := make(map[string]string, len(r.params))
		for i, name := range r.params {
			v, err := url.PathUnescape(m[i+1])
			if err != nil {
				return nil, nil, false
			}
			params[name] = v
		}
		return &routers.Route{Spec: s.doc, Server: s.doc.Servers[0], Path: r.tmpl, PathItem: r.item, Method: method, Operation: op}, params, true
	}
	return nil, nil, false
}

// validateRequest checks req (with body) against the operation.
func (s *spec) validateRequest(ctx context.Context, req *http.Request, body []byte, route *routers.Route, params map[string]string) error {
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true, RejectWhenRequestBodyNotSpecified: true}}
	return openapi3filter.ValidateRequest(ctx, in)
}

// documented reports whether the operation documents status.
func documented(route *routers.Route, status int) bool {
	return route.Operation.Responses.Status(status) != nil
}

// validateResponse checks a response the fake is about to send.
func (s *spec) validateResponse(ctx context.Context, req *http.Request, route *routers.Route, params map[string]string, status int, h http.Header, body []byte) error {
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: h,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	return openapi3filter.ValidateResponse(ctx, out)
}

// example returns a deep copy of the operation's documented example for
// status, as a JSON object: responses start from GitHub's own examples so
// that every field GitHub documents is present.
func (s *spec) example(route *routers.Route, status int, name string) (map[string]any, error) {
	key := name + " " + route.Operation.OperationID + " " + strconv.Itoa(status)
	if b, ok := s.examples.Load(key); ok {
		var m map[string]any
		err := json.Unmarshal(b.([]byte), &m)
		return m, err
	}
	var v any
	if ex := s.doc.Components.Examples[name]; ex != nil && ex.Value != nil {
		v = ex.Value.Value
	} else {
		resp := route.Operation.Responses.Status(status)
		if resp == nil || resp.Value == nil {
			return nil, fmt.Errorf("no documented %d response", status)
		}
		mt := resp.Value.Content.Get("application/json")
		if mt == nil {
			return nil, fmt.Errorf("no JSON %d response", status)
		}
		for _, k := range slices.Sorted(maps.Keys(mt.Examples)) {
			if e := mt.Examples[k]; e != nil && e.Value != nil {
				v = e.Value.Value
				break
			}
		}
	}
	if v == nil {
		return nil, fmt.Errorf("no example for %s %d", route.Operation.OperationID, status)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	s.examples.Store(key, b)
	return m, nil
}
