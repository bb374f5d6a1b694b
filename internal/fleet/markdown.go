package fleet

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
)

// MaxIssueBodyChars is the longest issue body GitHub accepts: creating or
// editing an issue with a longer one fails with 422 Unprocessable Entity,
// "body is too long (maximum is 65536 characters)". [Markdown] never
// writes more bytes than this (so never more characters either).
// https://docs.github.com/en/rest/issues/issues#update-an-issue
const MaxIssueBodyChars = 65536

// DashboardMarker opens every Markdown rendering, hidden: the App finds
// its dashboard issue by it, whatever the issue's title became.
const DashboardMarker = "<!-- contractbot:fleet-dashboard -->"

// Bounds of the Markdown, so that one service or one list cannot take
// the whole issue body.
const (
	maxMarkdownMessageRunes = 240 // a finding's message in the list of failing services
	maxListedNames          = 30  // names in one list of changes or of non-services
	trailerReserve          = 800 // kept free for the line saying what was left out
)

// Markdown renders v as the body of the App's dashboard issue: the
// totals, what changed since the previous view, the findings by rule,
// the failing services (most errors first) with their top findings and
// links, and the services with warnings only. It is always within
// [MaxIssueBodyChars]: when the whole view does not fit, the services
// with the fewest errors are listed by name only, then counted, and the
// text links [Options.FullReportURL] for the rest.
//
// Repository text (service names, places, messages) is escaped so that
// it cannot add links, HTML, headings or table cells.
func Markdown(v *View, o Options) string {
	var fixed strings.Builder
	fixed.WriteString(DashboardMarker + "\n")
	writeHeadline(&fixed, v)
	writeNotServices(&fixed, v)
	writeChanges(&fixed, v)
	writeRuleTable(&fixed, v)

	var failing, warned []Service
	for _, s := range v.Services {
		switch {
		case !s.OK:
			failing = append(failing, s)
		case s.Findings() > 0:
			warned = append(warned, s)
		}
	}
	slices.SortStableFunc(failing, func(a, b Service) int {
		return cmp.Or(cmp.Compare(b.Errors, a.Errors), cmp.Compare(b.Warnings, a.Warnings), cmp.Compare(a.Name, b.Name))
	})

	budget := MaxIssueBodyChars - fixed.Len() - trailerReserve
	// The detailed entries, only as many as could fit: beyond the budget
	// the view is summarised anyway.
	var details []string
	detailLen := 0
	for _, s := range failing {
		d := detailEntry(s)
		if detailLen += len(d); detailLen > budget {
			break
		}
		details = append(details, d)
	}
	failNames := make([]string, len(failing))
	for i, s := range failing {
		failNames[i] = nameEntry(s, report.Counts(s.Errors, s.Warnings, s.Notices))
	}
	warnNames := make([]string, len(warned))
	for i, s := range warned {
		warnNames[i] = nameEntry(s, report.Counts(s.Errors, s.Warnings, s.Notices))
	}

	nDetail, nNames, nWarned := len(failing), 0, len(warned)
	if len(details) < len(failing) || sumLen(details)+sumLen(warnNames)+2*len(warnNames)+200 > budget {
		// Everything does not fit: half the room for details, then names
		// of the other failing services, then the services with warnings
		// in what is left.
		nDetail = fit(details, budget/2, 0)
		used := sumLen(details[:nDetail])
		rest := budget - used
		if len(warned) > 0 {
			rest -= budget / 8
		}
		nNames = fit(failNames[nDetail:], rest, 2)
		used += sumLen(failNames[nDetail:nDetail+nNames]) + 2*nNames
		nWarned = fit(warnNames, budget-used, 2)
	}

	var b strings.Builder
	b.WriteString(fixed.String())
	if len(failing) > 0 {
		fmt.Fprintf(&b, "\n### Failing services (%d)\n\n", len(failing))
		for _, d := range details[:nDetail] {
			b.WriteString(d)
		}
		if nNames > 0 {
			fmt.Fprintf(&b, "\nAlso failing: %s.\n", strings.Join(failNames[nDetail:nDetail+nNames], ", "))
		}
	}
	if len(warned) > 0 {
		fmt.Fprintf(&b, "\n### Warnings only (%d)\n\n", len(warned))
		if nWarned > 0 {
			fmt.Fprintf(&b, "%s.\n", strings.Join(warnNames[:nWarned], ", "))
		}
	}
	if clean := v.Totals.Services - len(failing) - len(warned); clean > 0 {
		fmt.Fprintf(&b, "\n%d %s no findings.\n", clean, plural(clean, "service has", "services have"))
	}
	leftFailing := len(failing) - nDetail - nNames
	leftWarned := len(warned) - nWarned
	if leftFailing+leftWarned > 0 {
		var parts []string
		if leftFailing > 0 {
			parts = append(parts, fmt.Sprintf("%d failing %s", leftFailing, plural(leftFailing, "service", "services")))
		}
		if leftWarned > 0 {
			parts = append(parts, fmt.Sprintf("%d %s with warnings", leftWarned, plural(leftWarned, "service", "services")))
		}
		fmt.Fprintf(&b, "\n**Not listed: %s** (an issue body holds at most %d characters). ", strings.Join(parts, " and "), MaxIssueBodyChars)
		if u := safeURL(o.FullReportURL); u != "" {
			fmt.Fprintf(&b, "[The full report](%s) lists every service.\n", u)
		} else {
			b.WriteString("`contractbot report --format html` lists every service.\n")
		}
	}
	return truncateBody(b.String())
}

func writeHeadline(b *strings.Builder, v *View) {
	main, rest := headline(v.Totals)
	if main == "" {
		fmt.Fprintf(b, "\n%s\n", rest)
	} else {
		fmt.Fprintf(b, "\n**%s**%s\n", main, rest)
	}
	if !v.Updated.IsZero() {
		fmt.Fprintf(b, "\nUpdated %s.\n", stamp(v.Updated))
	}
}

// headline sums up the totals: the verdict (main, "" when there is none)
// and the counts (rest).
func headline(t Totals) (main, rest string) {
	switch {
	case t.Services == 0:
		return "", "No services checked yet."
	case t.Failing == 0:
		main = fmt.Sprintf("%s keep%s the PaaSTA contract.", allOf(t.Services), verbS(t.Services))
	default:
		main = fmt.Sprintf("%d of %d %s break%s the PaaSTA contract.", t.Failing, t.Services, plural(t.Services, "service", "services"), verbS(t.Failing))
	}
	if t.Warned > 0 {
		rest += fmt.Sprintf(" %d %s warnings only.", t.Warned, plural(t.Warned, "has", "have"))
	}
	if counts := report.Counts(t.Errors, t.Warnings, t.Notices); counts != "" {
		rest += fmt.Sprintf(" In all: %s.", counts)
	}
	return main, rest
}

func writeNotServices(b *strings.Builder, v *View) {
	if n := len(v.NotServices); n > 0 {
		fmt.Fprintf(b, "\n%d %s (no Makefile, Dockerfile or soa directory), so %s not checked: %s.\n",
			n, plural(n, "repository is not a PaaSTA service", "repositories are not PaaSTA services"), plural(n, "it is", "they are"), nameList(v.NotServices, nil))
	}
}

func writeChanges(b *strings.Builder, v *View) {
	ch := v.Changes
	if ch == nil {
		return
	}
	since := "the previous view"
	if !ch.Since.IsZero() {
		since = stamp(ch.Since)
	}
	fmt.Fprintf(b, "\n### Changes since %s\n\n", since)
	if ch.Empty() {
		b.WriteString("Nothing changed.\n")
		return
	}
	links := map[string]string{}
	for _, s := range v.Services {
		links[s.Name] = s.Link
	}
	for _, l := range []struct {
		what  string
		names []string
	}{{"Newly failing", ch.NewlyFailing}, {"Fixed", ch.Fixed}, {"New services", ch.Added}, {"Gone", ch.Removed}} {
		if len(l.names) > 0 {
			fmt.Fprintf(b, "- %s (%d): %s\n", l.what, len(l.names), nameList(l.names, links))
		}
	}
	if len(ch.Rules) > 0 {
		var parts []string
		for i, r := range ch.Rules {
			if i == maxListedNames {
				parts = append(parts, fmt.Sprintf("and %d more", len(ch.Rules)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%s %d → %d", markdownEscape(r.Rule), r.Before, r.After))
		}
		fmt.Fprintf(b, "- Findings by rule: %s\n", strings.Join(parts, ", "))
	}
}

func writeRuleTable(b *strings.Builder, v *View) {
	if len(v.Rules) == 0 {
		return
	}
	b.WriteString("\n### Findings by rule\n\n| Rule | Errors | Warnings | Notices | Services |\n|---|---:|---:|---:|---:|\n")
	for _, r := range v.Rules {
		name := markdownEscape(r.Rule)
		if plainID(r.Rule) {
			name = fmt.Sprintf("[%s](%s)", name, checks.RuleURL(r.Rule))
		}
		if r.Title != "" {
			name += ": " + markdownEscape(r.Title)
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d |\n", name, r.Errors, r.Warnings, r.Notices, r.Services)
	}
}

// detailEntry is a failing service as a list item with its top findings.
func detailEntry(s Service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **%s**: %s", link(s.Name, s.Link), report.Counts(s.Errors, s.Warnings, s.Notices))
	if s.Note != "" {
		fmt.Fprintf(&b, " (%s)", markdownEscape(s.Note))
	}
	b.WriteString("\n")
	for _, f := range s.Top {
		fmt.Fprintf(&b, "  - %s at %s: %s (%s)\n", f.Severity, markdownEscape(f.Where), markdownEscape(cutRunes(f.Message, maxMarkdownMessageRunes)), markdownEscape(f.Rule))
	}
	if more := s.Findings() - len(s.Top); more > 0 && len(s.Top) > 0 {
		fmt.Fprintf(&b, "  - and %d more\n", more)
	}
	return b.String()
}

// nameEntry is a service named (and linked) with a few words.
func nameEntry(s Service, what string) string {
	return fmt.Sprintf("%s (%s)", link(s.Name, s.Link), what)
}

// nameList joins up to maxListedNames names, linked when links has them.
func nameList(names []string, links map[string]string) string {
	var parts []string
	for i, n := range names {
		if i == maxListedNames {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-i))
			break
		}
		parts = append(parts, link(n, links[n]))
	}
	return strings.Join(parts, ", ")
}

func link(name, href string) string {
	text := markdownEscape(report.Escape(name))
	if u := safeURL(href); u != "" {
		return "[" + text + "](" + u + ")"
	}
	return text
}

// safeURL returns href when it is an absolute http(s) URL that can stand
// in a Markdown link as it is, else "".
func safeURL(href string) string {
	if href == "" || len(href) > 2048 {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	s := u.String()
	if strings.ContainsAny(s, " ()<>[]\"'`\\") {
		return ""
	}
	return s
}

// fit returns how many of entries, in order, fit in budget bytes with sep
// bytes between them.
func fit(entries []string, budget, sep int) int {
	n := 0
	for _, e := range entries {
		if budget < len(e)+sep {
			break
		}
		budget -= len(e) + sep
		n++
	}
	return n
}

func sumLen(ss []string) int {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	return n
}

// truncateBody is a last guard; the budget above keeps bodies under the
// limit, so it only acts if a fixed part grew beyond all expectation.
func truncateBody(s string) string {
	if len(s) <= MaxIssueBodyChars {
		return s
	}
	const tail = "\n\n(cut: an issue body holds at most 65536 characters)\n"
	n := MaxIssueBodyChars - len(tail)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + tail
}

// markdownEscape is the one escape of repository text in GitHub
// Markdown, the check-run summary's too.
func markdownEscape(s string) string { return report.MarkdownEscape(s) }

// plainID reports whether a rule id is plain enough to put in a link as
// it is (ids come from the engine, but a view may be read from a file).
func plainID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// verbS is the -s of a verb whose subject counts n.
func verbS(n int) string { return plural(n, "s", "") }

func allOf(n int) string {
	switch n {
	case 1:
		return "The 1 service"
	case 2:
		return "Both services"
	}
	return fmt.Sprintf("All %d services", n)
}
