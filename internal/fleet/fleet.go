// Package fleet aggregates the check results of many services into one
// view of the fleet (totals by rule and severity, the failing services
// with their top findings, what changed since the last view) and renders
// it as a GitHub issue body, one self-contained HTML page, CSV or JSON.
//
// A [Collector] is a [report.Sink]: every face feeds it one result per
// service (the CLI's `contractbot report`, the App's sweep) and flushes it
// to render.
package fleet

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
)

// DefaultTopFindings is how many findings of each service a view keeps
// when [Options.TopFindings] is zero.
const DefaultTopFindings = 3

// View is the status of a fleet of services at one moment. Its JSON form
// (see [Decode]) is what a face keeps to compute the next view's
// [Changes].
type View struct {
	// Updated is when the view was made ([Options.Now]); zero when the
	// face gave no clock.
	Updated time.Time `json:"updated,omitzero"`
	Totals  Totals    `json:"totals"`
	// Rules are the totals of each rule that has findings, the rule with
	// the most errors first (then warnings, notices, id).
	Rules []RuleTotal `json:"rules"`
	// Services are every checked service, by name.
	Services []Service `json:"services"`
	// NotServices are the repositories looked at and found not to be
	// PaaSTA services (no Makefile, no Dockerfile, no soa directory), by
	// name; they are not checked.
	NotServices []string `json:"not_services,omitempty"`
	// Changes is what changed since [Options.Previous], or nil when there
	// was no previous view.
	Changes *Changes `json:"changes,omitempty"`
}

// Counts counts findings by severity.
type Counts struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Notices  int `json:"notices"`
}

// Findings is the number of findings counted.
func (c Counts) Findings() int { return c.Errors + c.Warnings + c.Notices }

func (c *Counts) add(sev checks.Severity, n int) {
	switch sev {
	case checks.SeverityError:
		c.Errors += n
	case checks.SeverityWarning:
		c.Warnings += n
	case checks.SeverityNotice:
		c.Notices += n
	}
}

func (c *Counts) plus(d Counts) {
	c.Errors += d.Errors
	c.Warnings += d.Warnings
	c.Notices += d.Notices
}

// Totals counts services and findings over the whole fleet.
type Totals struct {
	Services int `json:"services"`
	// Failing services have at least one error: their check fails.
	Failing int `json:"failing"`
	// Warned services have warnings or notices but no error.
	Warned int `json:"warned"`
	Counts
}

// RuleTotal counts one rule's findings by severity (a repository's
// .contractbot.yaml may change a rule's severity, so one rule can have
// findings of several) and the services that have any.
type RuleTotal struct {
	Rule  string `json:"rule"`
	Title string `json:"title,omitempty"`
	Counts
	Services int `json:"services"`
}

// Service is one service's status.
type Service struct {
	Name string `json:"name"`
	// OK is the check's verdict: false when a finding is an error.
	OK bool `json:"ok"`
	Counts
	// Rules counts the service's findings per rule id.
	Rules map[string]Counts `json:"rules,omitempty"`
	// Top are the service's most severe findings, at most
	// [Options.TopFindings], in the result's order within a severity.
	Top []Finding `json:"top,omitempty"`
	// Link, Note and Checked come from [Meta].
	Link    string    `json:"link,omitempty"`
	Note    string    `json:"note,omitempty"`
	Checked time.Time `json:"checked,omitzero"`
}

// Finding is a finding as the fleet view shows it: its rule, severity,
// place ([checks.Finding.Where]) and message. Where and Message are
// repository text, passed through [report.Escape]; every renderer
// escapes them again for its format.
type Finding struct {
	Rule     string          `json:"rule"`
	Severity checks.Severity `json:"severity"`
	Where    string          `json:"where"`
	Message  string          `json:"message"`
}

// Meta is what a face knows about a result beyond the result itself.
type Meta struct {
	// Link is where the service's full result is (its check run's URL):
	// an absolute http or https URL, else it is dropped.
	Link string
	// Note is a short remark shown with the service ("soa only: no
	// checkout"). It is the face's text, escaped like repository text.
	Note string
	// Checked is when the result was computed (the App's stored status);
	// the oldest is exported as a metric.
	Checked time.Time
}

// Options configure a [Collector].
type Options struct {
	// Format and W are where Flush renders the view; a nil W renders
	// nothing (a face that only wants [Collector.View]).
	Format Format
	W      io.Writer
	// Rules are the rule set the results come from: they give the rules'
	// titles. Rules not listed are shown by id.
	Rules []*checks.Rule
	// Previous is the last view, to compute [View.Changes]; nil for none.
	Previous *View
	// Now, when set, stamps [View.Updated].
	Now func() time.Time
	// TopFindings is how many findings per service the view keeps
	// (default [DefaultTopFindings]).
	TopFindings int
	// Title heads the Markdown and HTML renderings (default
	// [DefaultTitle]).
	Title string
	// FullReportURL, when set, is linked from the Markdown when the view
	// does not fit a GitHub issue body, for the services left out.
	FullReportURL string
}

// DefaultTitle is the title of the App's dashboard issue and of a report.
const DefaultTitle = "PaaSTA contract dashboard"

// Collector builds a [View] from one result per service. It is safe for
// concurrent use. A second result for a service replaces the first.
type Collector struct {
	opts Options

	mu          sync.Mutex
	services    map[string]Service
	notServices map[string]bool
}

var (
	_ report.Sink    = (*Collector)(nil)
	_ report.Flusher = (*Collector)(nil)
)

// NewCollector returns an empty collector.
func NewCollector(o Options) *Collector {
	if o.TopFindings <= 0 {
		o.TopFindings = DefaultTopFindings
	}
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	return &Collector{opts: o, services: map[string]Service{}, notServices: map[string]bool{}}
}

// Post implements [report.Sink]: it adds r with no [Meta].
func (c *Collector) Post(_ context.Context, r *checks.Result) error { return c.Add(r, Meta{}) }

// Add adds the result of one service with what the face knows about it.
// A result without a service name is refused: a fleet view is per
// service.
func (c *Collector) Add(r *checks.Result, m Meta) error {
	s, err := NewService(r, m, c.opts.TopFindings)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.services[s.Name] = s
	delete(c.notServices, s.Name)
	return nil
}

// NewService is one service's status from its result, keeping its
// topFindings most severe findings (default [DefaultTopFindings]): the
// record a face that keeps its own (the App's store) builds its view
// from with [Build].
func NewService(r *checks.Result, m Meta, topFindings int) (Service, error) {
	if r == nil {
		return Service{}, fmt.Errorf("fleet: nil result")
	}
	if r.Service == "" {
		return Service{}, fmt.Errorf("fleet: a result without a service name")
	}
	if topFindings <= 0 {
		topFindings = DefaultTopFindings
	}
	s := Service{Name: r.Service, OK: r.OK, Link: safeURL(m.Link), Note: report.Escape(m.Note), Checked: m.Checked}
	for _, f := range r.Findings {
		if f.Severity == checks.SeverityOff {
			continue
		}
		s.add(f.Severity, 1)
		if s.Rules == nil {
			s.Rules = map[string]Counts{}
		}
		rc := s.Rules[f.RuleID]
		rc.add(f.Severity, 1)
		s.Rules[f.RuleID] = rc
	}
	// Fail closed: a result that says OK but holds an error is failing.
	if s.Errors > 0 {
		s.OK = false
	}
	s.Top = top(r.Findings, topFindings)
	return s, nil
}

// NotAService records a repository that is not a PaaSTA service (no
// Makefile, no Dockerfile and no soa directory): it is listed, not
// checked. A result for the same name later wins.
func (c *Collector) NotAService(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.services[name]; !ok {
		c.notServices[name] = true
	}
}

// top returns the n most severe findings, in the findings' order within a
// severity.
func top(fs []checks.Finding, n int) []Finding {
	idx := make([]int, 0, len(fs))
	for i, f := range fs {
		if f.Severity > checks.SeverityOff {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(fs[b].Severity, fs[a].Severity) })
	var out []Finding
	for _, i := range idx[:min(n, len(idx))] {
		f := fs[i]
		out = append(out, Finding{Rule: f.RuleID, Severity: f.Severity, Where: report.Escape(f.Where()), Message: report.Escape(f.Message)})
	}
	return out
}

// View returns the view of every result added so far.
func (c *Collector) View() *View {
	c.mu.Lock()
	services := make([]Service, 0, len(c.services))
	for _, s := range c.services {
		services = append(services, s)
	}
	var not []string
	for n := range c.notServices {
		not = append(not, n)
	}
	c.mu.Unlock()
	return Build(services, not, c.opts)
}

// Build makes the view of services (and of the repositories found not to
// be services) with o's rules, clock and previous view: a face that keeps
// [Service] records itself (the App's store) builds its view without a
// [Collector]. Services with the same name are kept once, the last.
func Build(services []Service, notServices []string, o Options) *View {
	byName := map[string]Service{}
	for _, s := range services {
		byName[s.Name] = s
	}
	titles := map[string]string{}
	for _, r := range o.Rules {
		titles[r.ID] = r.Title
	}
	v := &View{Rules: []RuleTotal{}, Services: make([]Service, 0, len(byName))}
	for _, s := range byName {
		v.Services = append(v.Services, s)
	}
	slices.SortFunc(v.Services, func(a, b Service) int { return cmp.Compare(a.Name, b.Name) })
	for _, n := range notServices {
		if _, ok := byName[n]; !ok && !slices.Contains(v.NotServices, n) {
			v.NotServices = append(v.NotServices, n)
		}
	}
	slices.Sort(v.NotServices)
	if o.Now != nil {
		v.Updated = o.Now().UTC()
	}
	rules := map[string]*RuleTotal{}
	for _, s := range v.Services {
		v.Totals.Services++
		switch {
		case !s.OK:
			v.Totals.Failing++
		case s.Findings() > 0:
			v.Totals.Warned++
		}
		v.Totals.plus(s.Counts)
		for id, n := range s.Rules {
			rt := rules[id]
			if rt == nil {
				rt = &RuleTotal{Rule: id, Title: titles[id]}
				rules[id] = rt
			}
			rt.Services++
			rt.plus(n)
		}
	}
	for _, rt := range rules {
		v.Rules = append(v.Rules, *rt)
	}
	slices.SortFunc(v.Rules, func(a, b RuleTotal) int {
		return cmp.Or(
			cmp.Compare(b.Errors, a.Errors),
			cmp.Compare(b.Warnings, a.Warnings),
			cmp.Compare(b.Notices, a.Notices),
			cmp.Compare(a.Rule, b.Rule),
		)
	})
	if o.Previous != nil {
		v.Changes = Diff(o.Previous, v)
	}
	return v
}

// Flush implements [report.Flusher]: it renders the view to
// [Options.W] in [Options.Format].
func (c *Collector) Flush(context.Context) error {
	if c.opts.W == nil {
		return nil
	}
	return Render(c.opts.W, c.opts.Format, c.View(), c.opts)
}
