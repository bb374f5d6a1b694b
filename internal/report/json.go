package report

import (
	"context"
	"encoding/json"
	"io"

	"github.com/contractbot/contractbot/internal/checks"
)

// JSON renders one result as the object
//
//	{"service": S, "ok": B, "findings": [{"rule", "severity", "path", "line", "column"?, "end_line", "end_column"?, "subject"?, "message", "related"?, "suggested_fixes"?}], "facts": {...}}
//
// and several results as {"ok": B, "results": [<object>...]}, so that a
// script can always test the top-level "ok". It writes on Flush, once it
// has every result. JSON escapes control characters itself.
type JSON struct {
	W       io.Writer
	results []*checks.Result
}

var (
	_ Sink    = (*JSON)(nil)
	_ Flusher = (*JSON)(nil)
)

// Post implements [Sink].
func (j *JSON) Post(_ context.Context, r *checks.Result) error {
	j.results = append(j.results, r)
	return nil
}

// Flush implements [Flusher].
func (j *JSON) Flush(context.Context) error {
	enc := json.NewEncoder(j.W)
	enc.SetIndent("", "  ")
	if len(j.results) == 1 {
		return enc.Encode(j.results[0])
	}
	ok := true
	for _, r := range j.results {
		ok = ok && r.OK
	}
	results := j.results
	if results == nil {
		results = []*checks.Result{}
	}
	return enc.Encode(struct {
		OK      bool             `json:"ok"`
		Results []*checks.Result `json:"results"`
	}{ok, results})
}
