package fleet

import (
	"encoding/json"
	"fmt"
	"github.com/contractbot/contractbot/internal/report"
	"io"
)

// Format names a rendering of a view. It implements [flag.Value].
type Format string

// The formats `contractbot report --format` accepts.
const (
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
)

// Formats lists the formats in the order help text shows them.
var Formats = []Format{FormatMarkdown, FormatHTML, FormatCSV, FormatJSON}

func (f *Format) String() string { return string(*f) }

// Set implements [flag.Value].
func (f *Format) Set(s string) error { return report.SetChoice(f, s, Formats, "format") }

// Render writes v to w in format f. o gives the title and the link to a
// full report (see [Options]).
func Render(w io.Writer, f Format, v *View, o Options) error {
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	switch f {
	case FormatMarkdown, "":
		_, err := io.WriteString(w, Markdown(v, o))
		return err
	case FormatHTML:
		return HTML(w, v, o)
	case FormatCSV:
		return CSV(w, v)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return fmt.Errorf("unknown format %q", f)
}

// Decode reads a view in its JSON form, as [FormatJSON] writes it: the
// previous view a face kept, to compute [Changes].
func Decode(r io.Reader) (*View, error) {
	var v View
	dec := json.NewDecoder(r)
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("read fleet view: %w", err)
	}
	return &v, nil
}
