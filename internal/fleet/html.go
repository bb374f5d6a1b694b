package fleet

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
)

// The page's style and script. They are inserted as they are, and the
// page's Content-Security-Policy allows exactly these two by hash, so the
// page loads nothing else: no script, style, font or image from anywhere.
// (No comments inside them: html/template would drop comments from
// template text and the hashes would no longer match; here they are
// values, but keep them plain all the same.)
const (
	pageStyle = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328; margin: 24px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.verdict { font-size: 16px; }
.muted { color: #59636e; }
a { color: #0969da; }
ul.changes li { margin: 2px 0; }
.legend span { display: inline-block; margin-right: 16px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.legend .e, rect.e { background: #cf222e; fill: #cf222e; }
.legend .w, rect.w { background: #d4a72c; fill: #d4a72c; }
.legend .n, rect.n { background: #0969da; fill: #0969da; }
svg text { font-size: 12px; fill: #1f2328; }
svg a text { fill: #0969da; }
.scroll { overflow: auto; max-height: 80vh; border: 1px solid #d0d7de; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #d8dee4; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #f6f8fa; cursor: pointer; user-select: none; vertical-align: bottom; }
th.rule { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; font-weight: normal; padding: 6px 3px; }
th[aria-sort=ascending]::after { content: " \25B2"; }
th[aria-sort=descending]::after { content: " \25BC"; }
td.name, th.name { text-align: left; }
td.z { color: #afb8c1; }
td.ce { background: #ffebe9; }
td.cw { background: #fff8c5; }
td.cn { background: #ddf4ff; }
tr.fail td.status { color: #cf222e; font-weight: 600; }
tr.warn td.status { color: #9a6700; }
tr.ok td.status { color: #1a7f37; }
details { margin: 4px 0; }
details li { margin: 2px 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
`
	pageScript = `
(function () {
  var table = document.getElementById("services");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, i, num) {
    var c = row.cells[i];
    var v = c.getAttribute("data-v");
    if (v === null) { v = c.textContent; }
    return num ? (parseFloat(v) || 0) : v.toLowerCase();
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    var num = th.getAttribute("data-type") === "num";
    function sort() {
      var was = th.getAttribute("aria-sort");
      var dir = was === "descending" ? "ascending" : was === "ascending" ? "descending" : (num ? "descending" : "ascending");
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var sign = dir === "ascending" ? 1 : -1;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, i, num), y = key(b, i, num);
        return x < y ? -sign : x > y ? sign : 0;
      });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
    }
    th.tabIndex = 0;
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
    });
  });
  table.setAttribute("data-sortable", "ready");
})();
`
)

// contentSecurityPolicy allows the page's own style and script and
// nothing else.
func contentSecurityPolicy() string {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; style-src " + hash(pageStyle) + "; script-src " + hash(pageScript) + "; base-uri 'none'; form-action 'none'"
}

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="contractbot">
<title>{{.Title}}</title>
<style>{{.Style}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="verdict"><strong>{{.Verdict}}</strong>{{.Rest}}</p>
{{if .Updated}}<p class="muted">Updated {{.Updated}}.</p>{{end}}
{{- if .NotServices}}
<p class="muted">Not PaaSTA services (no Makefile, Dockerfile or soa directory), not checked: {{range $i, $n := .NotServices}}{{if $i}}, {{end}}{{$n}}{{end}}.</p>
{{- end}}
{{- with .Changes}}
<h2>Changes since {{$.Since}}</h2>
{{- if .Empty}}
<p>Nothing changed.</p>
{{- else}}
<ul class="changes">
{{- range $.ChangeLists}}
<li>{{.What}} ({{len .Names}}): {{range $i, $n := .Names}}{{if $i}}, {{end}}{{$n}}{{end}}</li>
{{- end}}
{{- if .Rules}}
<li>Findings by rule: {{range $i, $r := .Rules}}{{if $i}}, {{end}}{{$r.Rule}} {{$r.Before}} → {{$r.After}}{{end}}</li>
{{- end}}
</ul>
{{- end}}
{{- end}}
<h2>Findings by rule</h2>
{{- if .Bars}}
<p class="legend"><span><i class="e"></i>errors</span><span><i class="w"></i>warnings</span><span><i class="n"></i>notices</span></p>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" width="{{.ChartWidth}}" height="{{.ChartHeight}}" viewBox="0 0 {{.ChartWidth}} {{.ChartHeight}}">
<title id="chart-title">Findings by rule</title>
{{- range .Bars}}
<g class="bar" data-rule="{{.Rule}}">
<a href="{{.URL}}"><text x="{{.LabelX}}" y="{{.TextY}}" text-anchor="end">{{.Rule}}</text></a>
{{- if .E}}<rect class="e" x="{{.EX}}" y="{{.Y}}" width="{{.E}}" height="{{.H}}"><title>{{.ErrorsText}}</title></rect>{{end}}
{{- if .W}}<rect class="w" x="{{.WX}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.WarningsText}}</title></rect>{{end}}
{{- if .N}}<rect class="n" x="{{.NX}}" y="{{.Y}}" width="{{.N}}" height="{{.H}}"><title>{{.NoticesText}}</title></rect>{{end}}
<text x="{{.CountX}}" y="{{.TextY}}">{{.Total}}</text>
</g>
{{- end}}
</svg>
{{- else}}
<p>No findings.</p>
{{- end}}
<h2>Services ({{len .Rows}})</h2>
<p class="muted">Click a column heading to sort.</p>
<div class="scroll">
<table id="services">
<thead><tr><th class="name" data-type="text">Service</th><th data-type="num">Status</th><th data-type="num">Errors</th><th data-type="num">Warnings</th><th data-type="num">Notices</th>
{{- range .Rules}}<th class="rule" data-type="num" title="{{.Title}}">{{.Rule}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr class="{{.Class}}"><td class="name">{{if .Link}}<a href="{{.Link}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}{{if .Note}} <span class="muted">({{.Note}})</span>{{end}}</td><td class="status" data-v="{{.Rank}}">{{.Status}}</td><td>{{.Errors}}</td><td>{{.Warnings}}</td><td>{{.Notices}}</td>
{{- .Cells}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- if .Failing}}
<h2>Top findings of the failing services</h2>
{{- range .Failing}}
<details><summary><strong>{{.Name}}</strong>: {{.Counts}}</summary>
<ul>
{{- range .Top}}
<li>{{.Severity}} at <code>{{.Where}}</code>: {{.Message}} (<a href="{{.URL}}">{{.Rule}}</a>)</li>
{{- end}}
</ul>
</details>
{{- end}}
{{- end}}
<script>{{.Script}}</script>
</body>
</html>
`

type htmlPage struct {
	CSP           string
	Style         template.CSS
	Script        template.JS
	Title         string
	Verdict, Rest string
	Updated       string
	NotServices   []string
	Changes       *Changes
	Since         string
	ChangeLists   []changeList
	Bars          []htmlBar
	ChartWidth    int
	ChartHeight   int
	Rules         []RuleTotal
	Rows          []htmlRow
	Failing       []htmlFailing
}

type changeList struct {
	What  string
	Names []string
}

type htmlBar struct {
	Rule, URL                             string
	ErrorsText, WarningsText, NoticesText string
	Total                                 int
	LabelX, TextY, Y, H, CountX           int
	EX, WX, NX, E, W, N                   int
}

type htmlRow struct {
	Name, Link, Note, Class, Status string
	Rank                            int
	Counts
	// Cells are the row's cells of rules, written out here rather than by
	// the template (a 5,000-service fleet has 200,000 of them): only
	// numbers and fixed class names, nothing to escape.
	Cells template.HTML
}

type htmlFailing struct {
	Name, Counts string
	Top          []htmlFinding
}

type htmlFinding struct {
	Severity, Where, Message, Rule, URL string
}

// Geometry of the chart, in pixels.
const (
	chartLabelWidth = 220
	chartBarWidth   = 600
	chartRowHeight  = 22
	chartBarHeight  = 14
)

// HTML writes v as one self-contained page: the totals, what changed, a
// bar chart of findings by rule (inline SVG), a table of services ×
// rules that a small inline script sorts by any column, and the failing
// services' top findings. It loads nothing from anywhere (its
// Content-Security-Policy forbids it), so it reads the same offline.
func HTML(w io.Writer, v *View, o Options) error {
	tmpl, err := template.New("fleet").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("fleet html template: %w", err)
	}
	title := o.Title
	if title == "" {
		title = DefaultTitle
	}
	p := htmlPage{CSP: contentSecurityPolicy(), Style: template.CSS(pageStyle), Script: template.JS(pageScript), Title: title, Rules: v.Rules}
	p.Verdict, p.Rest = headline(v.Totals)
	if !v.Updated.IsZero() {
		p.Updated = stamp(v.Updated)
	}
	for _, n := range v.NotServices {
		p.NotServices = append(p.NotServices, report.Escape(n))
	}
	if ch := v.Changes; ch != nil {
		p.Changes = ch
		p.Since = "the previous view"
		if !ch.Since.IsZero() {
			p.Since = stamp(ch.Since)
		}
		for _, l := range []changeList{{"Newly failing", ch.NewlyFailing}, {"Fixed", ch.Fixed}, {"New services", ch.Added}, {"Gone", ch.Removed}} {
			if len(l.Names) > 0 {
				names := make([]string, len(l.Names))
				for i, n := range l.Names {
					names[i] = report.Escape(n)
				}
				p.ChangeLists = append(p.ChangeLists, changeList{l.What, names})
			}
		}
	}

	most := 0
	for _, r := range v.Rules {
		most = max(most, r.Findings())
	}
	scale := func(n int) int {
		if n == 0 || most == 0 {
			return 0
		}
		return max(1, n*chartBarWidth/most)
	}
	for i, r := range v.Rules {
		b := htmlBar{Rule: r.Rule, URL: checks.RuleURL(r.Rule), Total: r.Findings(),
			ErrorsText: report.Counts(r.Errors, 0, 0), WarningsText: report.Counts(0, r.Warnings, 0), NoticesText: report.Counts(0, 0, r.Notices)}
		b.LabelX = chartLabelWidth - 8
		b.Y = i*chartRowHeight + (chartRowHeight-chartBarHeight)/2
		b.H = chartBarHeight
		b.TextY = i*chartRowHeight + chartRowHeight/2 + 4
		b.E, b.W, b.N = scale(r.Errors), scale(r.Warnings), scale(r.Notices)
		b.EX = chartLabelWidth
		b.WX = b.EX + b.E
		b.NX = b.WX + b.W
		b.CountX = b.NX + b.N + 6
		p.Bars = append(p.Bars, b)
	}
	p.ChartWidth = chartLabelWidth + chartBarWidth + 60
	p.ChartHeight = len(v.Rules) * chartRowHeight

	var cells strings.Builder
	for _, s := range v.Services {
		row := htmlRow{Name: report.Escape(s.Name), Link: s.Link, Note: s.Note, Counts: s.Counts}
		switch {
		case !s.OK:
			row.Class, row.Status, row.Rank = "fail", "failing", 2
		case s.Findings() > 0:
			row.Class, row.Status, row.Rank = "warn", "warnings", 1
		default:
			row.Class, row.Status, row.Rank = "ok", "ok", 0
		}
		cells.Reset()
		for _, r := range v.Rules {
			c := s.Rules[r.Rule]
			class := "z"
			switch {
			case c.Errors > 0:
				class = "ce"
			case c.Warnings > 0:
				class = "cw"
			case c.Notices > 0:
				class = "cn"
			}
			cells.WriteString(`<td class="` + class + `">` + strconv.Itoa(c.Findings()) + `</td>`)
		}
		row.Cells = template.HTML(cells.String())
		p.Rows = append(p.Rows, row)
		if !s.OK {
			f := htmlFailing{Name: row.Name, Counts: report.Counts(s.Errors, s.Warnings, s.Notices)}
			for _, t := range s.Top {
				f.Top = append(f.Top, htmlFinding{Severity: t.Severity.String(), Where: report.Escape(t.Where), Message: report.Escape(t.Message), Rule: t.Rule, URL: checks.RuleURL(t.Rule)})
			}
			p.Failing = append(p.Failing, f)
		}
	}
	return tmpl.Execute(w, p)
}
