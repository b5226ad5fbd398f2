package html

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
)

// The view is what the template renders: the reports regrouped for reading
// (findings under their policy, policies by outcome, tallies per bundle,
// framework and control), every string still raw; the template escapes each
// for its context.

// page is the whole document.
type page struct {
	Title     string
	Generator string
	Targets   []*targetView
	// Filters: the values present anywhere on the page, in display order.
	Severities []string
	Statuses   []string
	Bundles    []string
	// Findings and Policies count everything on the page, as the filters'
	// status line does.
	Findings int
	Policies int
}

// Multi reports whether the page holds several reports (a target selector).
func (p *page) Multi() bool { return len(p.Targets) > 1 }

type targetView struct {
	ID        string // "t1", the prefix of every id inside
	Index     int    // 1-based
	Kind      string
	Name      string
	Host      string
	Digest    string
	Source    string // the JSON file it was read from, if any
	Started   string
	Tool      string
	Duration  string
	Verdict   string // PASS, FAIL, ERROR
	ExitCode  int
	Failing   int
	Documents int

	PolicyCounts   []count // by status
	SeverityCounts []count // findings by severity
	FindingsTotal  int
	PoliciesTotal  int

	Bundles     []bundleView
	Overlays    []fileView // tailoring files applied (tailoring.go)
	WaiverFiles []fileView // waiver files read (report.Waivers)
	Disabled    []disabledView
	DataSources []report.DataSource

	Scores scoresView

	Findings []*policyView // fail, warn, error: with their occurrences
	Waived   []*policyView // every finding waived
	Passed   []*policyView
	Skipped  []*policyView

	Collectors []collectorView
}

type count struct {
	Name string
	N    int
}

type bundleView struct {
	Name, Version, Revision, Digest, Source, Description string
	// Signer is the key id whose signature verified, when the report
	// records it; "" when the bundle was not verified.
	Signer string
}

// fileView is a file that changed what was judged (an overlay or a waiver
// file), with the SHA-256 that names its exact content.
type fileView struct {
	Name   string
	Path   string
	SHA256 string
}

// disabledView is a policy an overlay switched off, with the reason given.
type disabledView struct {
	Bundle, Policy, Reason, Overlay string
}

type waiverView struct {
	ID            string
	Justification string
	ApprovedBy    string
	Expires       string
	Ticket        string
	// Expired marks a waiver that no longer applies: the finding counts.
	Expired bool
}

type policyView struct {
	Anchor      string
	Bundle      string
	ID          string
	Title       string
	Description string
	Remediation string
	Source      string
	Severity    string
	Enforcement string
	Status      string
	Controls    []string
	Documents   int
	Error       string
	// SkipReason says why a skipped policy judged nothing.
	SkipReason  string
	Occurrences []occurrence
	// Collector is the collector of every occurrence, when they share one:
	// said once for the policy rather than on each row.
	Collector string
	Waiver    *waiverView
}

// FindingCount is the number of occurrences, for the summary line of the
// policy.
func (p *policyView) FindingCount() int { return len(p.Occurrences) }

type occurrence struct {
	Kind      string
	Severity  string // the finding's, when it differs from its policy's
	Location  string // path:line, or the target itself
	Message   string
	Collector string
	// Evidence is the offending text a policy returned as "evidence".
	Evidence    string
	Details     []detail
	Fingerprint string
	Waiver      *waiverView
}

type detail struct {
	Key, Value string
}

type collectorView struct {
	Bundle, ID, Status, Error string
	Documents                 int
	Duration                  string
	Skipped                   []report.Skip
	SkippedTotal              int
	// ByReason counts every skip per cause, most frequent first: the
	// list above stops at the first skips, the counts never do.
	ByReason []report.SkipCount
}

type scoresView struct {
	Overall    tally
	Bundles    []tally
	Frameworks []tally
	Controls   []controlView
}

// Empty reports whether there is nothing to tally: no policy at all.
func (s scoresView) Empty() bool { return s.Overall.Total() == 0 }

// tally counts policy outcomes under a name (a bundle, a framework).
type tally struct {
	Name string
	report.Tally
	// Score is the report's own score for this bundle or overall, when it
	// carries one (report.Scores), e.g. "87 %".
	Score string
}

// Total is every policy counted.
func (t tally) Total() int { return t.Pass + t.Fail + t.Warn + t.Error + t.Skip + t.Waived }

// Bar is the tally as a stacked bar: one segment per outcome, widths in
// percent of the total (drawn as SVG, so the page needs no style attribute).
func (t tally) Bar() []barSegment {
	total := t.Total()
	if total == 0 {
		return nil
	}
	var out []barSegment
	x := 0.0
	for _, s := range []struct {
		class string
		n     int
	}{{"pass", t.Pass}, {"waived", t.Waived}, {"warn", t.Warn}, {"fail", t.Fail}, {"error", t.Error}, {"skip", t.Skip}} {
		if s.n == 0 {
			continue
		}
		w := 100 * float64(s.n) / float64(total)
		out = append(out, barSegment{Class: s.class, X: fmt.Sprintf("%.2f", x), Width: fmt.Sprintf("%.2f", w)})
		x += w
	}
	return out
}

// Label says the tally in words, for screen readers and print.
func (t tally) Label() string {
	var parts []string
	for _, s := range []struct {
		name string
		n    int
	}{{"pass", t.Pass}, {"waived", t.Waived}, {"warn", t.Warn}, {"fail", t.Fail}, {"error", t.Error}, {"skip", t.Skip}} {
		if s.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", s.n, s.name))
		}
	}
	if len(parts) == 0 {
		return "no policy"
	}
	return strings.Join(parts, ", ")
}

type barSegment struct {
	Class, X, Width string
}

// controlView is one control's outcome: the worst status of the policies
// that name it.
type controlView struct {
	Framework string
	Name      string
	Status    string
	Policies  []controlPolicy
}

type controlPolicy struct {
	Anchor, Label, Status string
}

// anchors hands out the page's fragment ids: a policy's own ID where it is
// unique ("#sshd-password-auth"), BUNDLE/ID where two bundles share an ID,
// and a target prefix for the later reports of a multi-target page.
type anchors map[string]bool

func (a anchors) claim(candidates ...string) string {
	for _, c := range candidates {
		if c != "" && !a[c] {
			a[c] = true
			return c
		}
	}
	base := candidates[len(candidates)-1]
	for i := 2; ; i++ {
		if c := base + "~" + strconv.Itoa(i); !a[c] {
			a[c] = true
			return c
		}
	}
}

// buildPage regroups the inputs for the template.
func buildPage(title string, generator string, inputs []Input) *page {
	p := &page{Title: title, Generator: generator}
	ids := anchors{}
	sevs, stats, bundles := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, in := range inputs {
		t := buildTarget(i+1, in, ids)
		p.Targets = append(p.Targets, t)
		p.Findings += t.FindingsTotal
		for _, group := range [][]*policyView{t.Findings, t.Waived, t.Passed, t.Skipped} {
			p.Policies += len(group) // with those only findings name, as the filters count
			for _, pv := range group {
				sevs[pv.Severity] = true
				stats[pv.Status] = true
				bundles[pv.Bundle] = true
			}
		}
	}
	for s := report.SeverityCritical; s >= report.SeverityInfo; s-- {
		if sevs[s.String()] {
			p.Severities = append(p.Severities, s.String())
		}
	}
	for _, s := range report.Statuses() {
		if stats[string(s)] {
			p.Statuses = append(p.Statuses, string(s))
		}
	}
	p.Bundles = slices.Sorted(maps.Keys(bundles))
	if p.Title == "" {
		names := make([]string, 0, len(p.Targets))
		for _, t := range p.Targets {
			names = append(names, t.Name)
		}
		switch {
		case len(names) == 1:
			p.Title = "assay report: " + names[0]
		case len(names) > 1:
			p.Title = fmt.Sprintf("assay report: %d targets", len(names))
		default:
			p.Title = "assay report"
		}
	}
	return p
}

func buildTarget(n int, in Input, ids anchors) *targetView {
	r := in.Report
	t := &targetView{
		ID:            "t" + strconv.Itoa(n),
		Index:         n,
		Kind:          string(r.Target.Kind),
		Name:          r.Target.Name,
		Host:          r.Host,
		Digest:        r.Target.Digest,
		Source:        in.Source,
		Tool:          strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Duration:      fmt.Sprintf("%.2f s", r.Timings.TotalSeconds),
		ExitCode:      in.ExitCode,
		Failing:       in.Failing,
		Documents:     in.Documents,
		FindingsTotal: len(r.Findings),
		PoliciesTotal: len(r.Policies),
		DataSources:   r.DataSources,
	}
	if t.Name == "" {
		t.Name = "(unnamed target)"
	}
	if !r.StartedAt.IsZero() {
		t.Started = r.StartedAt.UTC().Format(time.RFC3339)
	}
	switch in.ExitCode {
	case exitcode.Clean:
		t.Verdict = "PASS"
	case exitcode.Violations:
		t.Verdict = "FAIL"
	default:
		t.Verdict = "ERROR"
	}

	byStatus := map[report.Status]int{}
	for _, p := range r.Policies {
		byStatus[p.Status]++
	}
	for _, s := range []report.Status{report.StatusPass, report.StatusFail, report.StatusWarn, report.StatusError, report.StatusSkip} {
		t.PolicyCounts = append(t.PolicyCounts, count{string(s), byStatus[s]})
	}
	if n := byStatus[report.StatusWaived]; n > 0 {
		t.PolicyCounts = append(t.PolicyCounts, count{string(report.StatusWaived), n})
	}
	sevCounts := r.Counts()
	for s := report.SeverityCritical; s >= report.SeverityInfo; s-- {
		t.SeverityCounts = append(t.SeverityCounts, count{s.String(), sevCounts[s]})
	}

	// Provenance: overlays and disabled policies come from the report's
	// tailoring; waiver files, waivers and scores from the report below;
	// each bundle's signer from its verified signature.
	tailoringView(t, r.Tailoring)
	if r.Waivers != nil {
		for _, f := range r.Waivers.Files {
			t.WaiverFiles = append(t.WaiverFiles, fileView{Path: f.Path, SHA256: f.SHA256})
		}
	}
	for _, b := range r.Bundles {
		t.Bundles = append(t.Bundles, bundleView{Name: b.Name, Version: b.Version, Revision: b.Revision, Digest: b.Digest, Source: b.Source, Description: b.Description, Signer: b.Signer})
	}

	// An expired waiver's justification and approver come from the
	// waivers the report lists.
	waivers := map[string]report.WaiverEntry{}
	if r.Waivers != nil {
		for _, w := range r.Waivers.Entries {
			waivers[w.ID] = w
		}
	}

	// Findings go under their policy, in report order (worst first); a
	// policy the report does not list is made from its first finding.
	type key struct{ bundle, id string }
	policies := slices.Clone(r.Policies)
	listed := make(map[key]bool, len(policies))
	for _, p := range policies {
		listed[key{p.Bundle, p.ID}] = true
	}
	occ := map[key][]occurrence{}
	for _, f := range r.Findings {
		k := key{f.Bundle, f.PolicyID}
		if !listed[k] {
			listed[k] = true
			policies = append(policies, report.PolicyResult{Bundle: f.Bundle, ID: f.PolicyID, Title: f.Title, Severity: f.Severity,
				Enforcement: f.Enforcement, Controls: f.Controls, Remediation: f.Remediation, Status: report.StatusFail})
		}
		occ[k] = append(occ[k], newOccurrence(f, waivers))
	}
	// Worst first: severity, then status, then bundle and ID.
	slices.SortStableFunc(policies, func(a, b report.PolicyResult) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), report.CompareStatus(a.Status, b.Status),
			cmp.Compare(a.Bundle, b.Bundle), cmp.Compare(a.ID, b.ID))
	})
	prefix := ""
	if n > 1 {
		prefix = t.ID + "/"
	}
	views := make([]*policyView, 0, len(policies))
	for _, p := range policies {
		pv := &policyView{
			Bundle: p.Bundle, ID: p.ID, Title: p.Title, Description: p.Description, Remediation: p.Remediation,
			Source: p.Source, Severity: p.Severity.String(), Enforcement: string(p.Enforcement), Status: string(p.Status),
			Controls: p.Controls, Documents: p.Documents, Error: p.Error, Occurrences: occ[key{p.Bundle, p.ID}],
		}
		// Anchors are attribute values the page never shows, yet they hold
		// no bidi control either: the page holds none anywhere.
		if n == 1 {
			pv.Anchor = ids.claim(plain(p.ID), plain(p.Bundle+"/"+p.ID))
		} else {
			pv.Anchor = ids.claim(plain(prefix + p.Bundle + "/" + p.ID))
		}
		shared := len(pv.Occurrences) > 0
		for i := range pv.Occurrences {
			if pv.Occurrences[i].Severity == pv.Severity {
				pv.Occurrences[i].Severity = ""
			}
			shared = shared && pv.Occurrences[i].Collector == pv.Occurrences[0].Collector
		}
		if shared {
			pv.Collector = pv.Occurrences[0].Collector
			for i := range pv.Occurrences {
				pv.Occurrences[i].Collector = ""
			}
		}
		if pv.Title == "" {
			pv.Title = pv.ID
		}
		if p.Status == report.StatusWaived {
			// Every occurrence is waived: the policy says by which waiver.
			for _, o := range pv.Occurrences {
				if o.Waiver != nil && !o.Waiver.Expired {
					pv.Waiver = o.Waiver
					break
				}
			}
		}
		switch p.Status {
		case report.StatusPass:
			t.Passed = append(t.Passed, pv)
		case report.StatusSkip:
			pv.SkipReason = skipReason(p)
			t.Skipped = append(t.Skipped, pv)
		default:
			if pv.Waiver != nil && !pv.Waiver.Expired {
				pv.Status = "waived" // what the filters and the badge say
				t.Waived = append(t.Waived, pv)
			} else {
				t.Findings = append(t.Findings, pv)
			}
		}
		views = append(views, pv)
	}
	t.Scores = scores(views)
	if sc := r.Scores; sc != nil {
		t.Scores.Overall.Score = scoreText(sc.Overall.Score)
		byBundle := map[string]string{}
		for _, b := range sc.Bundles {
			byBundle[b.Bundle] = scoreText(b.Score)
		}
		for i := range t.Scores.Bundles {
			t.Scores.Bundles[i].Score = byBundle[t.Scores.Bundles[i].Name]
		}
	}

	for _, c := range r.Collectors {
		t.Collectors = append(t.Collectors, collectorView{
			Bundle: c.Bundle, ID: c.Type + "." + c.Name, Status: string(c.Status), Error: c.Error, Documents: c.Documents,
			Duration: fmt.Sprintf("%.3f s", c.DurationSeconds), Skipped: c.Skipped, SkippedTotal: max(c.SkippedTotal, len(c.Skipped)),
			ByReason: c.SkippedByReason,
		})
	}
	return t
}

// scoreText writes a report's score for the page, "" when it has none.
func scoreText(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%.1f %%", *p)
}

// skipReason says why a policy judged nothing: the reason the report gives,
// or what a skip means.
func skipReason(p report.PolicyResult) string {
	if p.SkipReason != "" && p.SkipReason != report.NoDocumentReason {
		return p.SkipReason
	}
	if p.Error != "" {
		return p.Error
	}
	return "no document to judge: its collectors found nothing or do not apply to this target"
}

// maxDetailBytes bounds one detail value shown on the page; the JSON report
// keeps it whole.
const maxDetailBytes = 4096

func newOccurrence(f report.Finding, waivers map[string]report.WaiverEntry) occurrence {
	o := occurrence{
		Kind:        string(f.Kind),
		Severity:    f.Severity.String(),
		Location:    f.Location(),
		Message:     f.Message,
		Collector:   f.Collector,
		Fingerprint: f.Fingerprint,
	}
	if o.Location == "" {
		o.Location = f.Target
	}
	if w := f.Waived; w != nil {
		o.Waiver = &waiverView{ID: w.ID, Justification: w.Justification, ApprovedBy: w.ApprovedBy, Expires: w.Expires, Ticket: w.Ticket}
	} else if w := f.WaiverExpired; w != nil {
		e := waivers[w.ID]
		o.Waiver = &waiverView{ID: w.ID, Justification: e.Justification, ApprovedBy: e.ApprovedBy, Expires: w.Expired, Ticket: e.Ticket, Expired: true}
	}
	for _, k := range slices.Sorted(maps.Keys(f.Details)) {
		v := f.Details[k]
		if s, ok := v.(string); ok && k == "evidence" {
			o.Evidence = truncate(s)
			continue
		}
		o.Details = append(o.Details, detail{Key: k, Value: truncate(detailText(v))})
	}
	return o
}

// detailText is a detail value as the page shows it: a string as it is,
// anything else as JSON.
func detailText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return report.ValueText(v)
}

func truncate(s string) string {
	if len(s) <= maxDetailBytes {
		return s
	}
	cut := maxDetailBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes in the JSON report)", s[:cut], len(s)-cut)
}

// scores tallies the policies overall, per bundle, per framework and per
// control.
func scores(policies []*policyView) scoresView {
	var s scoresView
	s.Overall.Name = "all bundles"
	bundles := map[string]*tally{}
	frameworks := map[string]*tally{}
	controls := map[string]*controlView{}
	for _, p := range policies {
		status := p.Status
		if p.Waiver != nil && !p.Waiver.Expired {
			status = "waived"
		}
		s.Overall.Add(report.Status(status))
		b := bundles[p.Bundle]
		if b == nil {
			b = &tally{Name: p.Bundle}
			bundles[p.Bundle] = b
		}
		b.Add(report.Status(status))
		for _, c := range slices.Compact(slices.Sorted(slices.Values(p.Controls))) {
			fw := report.Framework(c)
			f := frameworks[fw]
			if f == nil {
				f = &tally{Name: fw}
				frameworks[fw] = f
			}
			f.Add(report.Status(status))
			cv := controls[c]
			if cv == nil {
				cv = &controlView{Framework: fw, Name: c, Status: status}
				controls[c] = cv
			}
			if report.Worse(report.Status(status), report.Status(cv.Status)) {
				cv.Status = status
			}
			cv.Policies = append(cv.Policies, controlPolicy{Anchor: p.Anchor, Label: p.Bundle + "/" + p.ID, Status: status})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(bundles)) {
		s.Bundles = append(s.Bundles, *bundles[k])
	}
	for _, k := range slices.Sorted(maps.Keys(frameworks)) {
		s.Frameworks = append(s.Frameworks, *frameworks[k])
	}
	for _, k := range slices.Sorted(maps.Keys(controls)) {
		s.Controls = append(s.Controls, *controls[k])
	}
	return s
}
