package report

import (
	"encoding/json"
	"io"

	"github.com/contractbot/contractbot/internal/checks"
)

// JSON renders one result as the object
//
//	{"service": S, "ok": B, "findings": [{"rule", "severity", "path", "line", "end_line", "message", "fix"?}], "facts": {...}}
//
// and several results as {"ok": B, "results": [<object>...]}, so that a
// script can always test the top-level "ok".
type JSON struct{}

var _ Printer = JSON{}

// Print implements [Printer].
func (JSON) Print(w io.Writer, results []*checks.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(results) == 1 {
		return enc.Encode(results[0])
	}
	ok := true
	for _, r := range results {
		ok = ok && r.OK
	}
	if results == nil {
		results = []*checks.Result{}
	}
	return enc.Encode(struct {
		OK      bool             `json:"ok"`
		Results []*checks.Result `json:"results"`
	}{ok, results})
}
