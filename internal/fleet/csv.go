package fleet

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// CSV writes one row per service: its name, verdict, counts, link and
// note, then its number of findings of each rule that has any in the
// view (one column per rule, in the order of [View.Rules]). A cell that a
// spreadsheet would read as a formula (starting with =, +, -, @, a tab or
// a carriage return) is prefixed with a single quote.
func CSV(w io.Writer, v *View) error {
	cw := csv.NewWriter(w)
	head := []string{"service", "ok", "errors", "warnings", "notices", "link", "note"}
	for _, r := range v.Rules {
		head = append(head, r.Rule)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, s := range v.Services {
		row := []string{cell(s.Name), strconv.FormatBool(s.OK), strconv.Itoa(s.Errors), strconv.Itoa(s.Warnings), strconv.Itoa(s.Notices), cell(s.Link), cell(s.Note)}
		for _, r := range v.Rules {
			row = append(row, strconv.Itoa(s.Rules[r.Rule].Findings()))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses spreadsheet formulas (CSV injection): repository and face
// text never starts a cell with a formula character.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
