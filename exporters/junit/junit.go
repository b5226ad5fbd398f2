// Package junit writes a report as JUnit XML, the test-report format every CI
// system renders: one testsuite per bundle, one testcase per policy and
// target, one failure per violation with its location in the message.
//
// The shape follows the common Ant/Jenkins JUnit schema: <testsuites>
// holding <testsuite name tests failures errors skipped time timestamp
// hostname id package>, each with <properties> and <testcase name classname
// time> children, whose own children come in the order skipped, error*,
// failure*, system-out.
package junit

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f junit.
func Format() exporters.Format {
	return exporters.Format{
		Name: "junit",
		Ext:  ".xml",
		Help: "JUnit XML: a testsuite per bundle, a testcase per policy, a failure per violation",
		New:  func(w io.Writer, o exporters.Options) exporters.Exporter { return New(w, o) },
	}
}

// Exporter writes JUnit XML.
type Exporter struct {
	w io.Writer
	o exporters.Options
}

// New returns an exporter writing to w.
func New(w io.Writer, o exporters.Options) *Exporter { return &Exporter{w: w, o: o} }

// TestSuites is the document root.
type TestSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Suites   []TestSuite `xml:"testsuite"`
}

// TestSuite is one bundle.
type TestSuite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr"`
	Hostname   string     `xml:"hostname,attr"`
	ID         int        `xml:"id,attr"`
	Package    string     `xml:"package,attr"`
	Properties []Property `xml:"properties>property,omitempty"`
	Cases      []TestCase `xml:"testcase"`
}

// Property is a name/value pair on a suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// TestCase is one policy on one target, or a collector that failed.
type TestCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Time      string    `xml:"time,attr"`
	Skipped   *Skipped  `xml:"skipped,omitempty"`
	Errors    []Problem `xml:"error,omitempty"`
	Failures  []Problem `xml:"failure,omitempty"`
	SystemOut string    `xml:"system-out,omitempty"`
}

// Skipped marks a policy that had nothing to judge.
type Skipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// Problem is a <failure> (a violation) or an <error> (a policy or collector
// that did not run to the end).
type Problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Export implements exporters.Exporter.
func (e *Exporter) Export(ctx context.Context, r *report.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	doc := Build(r)
	if _, err := io.WriteString(e.w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(e.w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(e.w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// Build turns a report into the JUnit document. It does not change r. A
// multi-target report gives each target its own suites ("bundle
// [target]"), and a target that could not be scanned a suite with one
// error.
func Build(r *report.Report) *TestSuites {
	if !r.Multi() {
		return build(r)
	}
	doc := &TestSuites{Name: "assay", Time: seconds(r.Timings.TotalSeconds)}
	for i := range r.Targets {
		t := &r.Targets[i]
		rep := t.Report
		if rep == nil {
			rep = &report.Report{}
		}
		tgt := targetName(rep)
		sub := build(rep)
		for _, s := range sub.Suites {
			s.Name += " [" + tgt + "]"
			doc.Suites = append(doc.Suites, s)
		}
		if t.Status == report.TargetFailed {
			s := TestSuite{Name: "target [" + tgt + "]", Package: "assay.target", Hostname: tgt, Time: seconds(rep.Timings.TotalSeconds),
				Properties: []Property{{Name: "assay.target", Value: tgt}, {Name: "assay.target.kind", Value: string(rep.Target.Kind)}}}
			add(&s, TestCase{Name: "scan [" + tgt + "]", Classname: "assay.target", Time: seconds(rep.Timings.TotalSeconds),
				Errors: []Problem{{Message: "target not scanned: " + t.Error, Type: "target-failed", Text: t.Error}}})
			doc.Suites = append(doc.Suites, s)
		}
	}
	for i := range doc.Suites {
		doc.Suites[i].ID = i
		doc.Tests += doc.Suites[i].Tests
		doc.Failures += doc.Suites[i].Failures
		doc.Errors += doc.Suites[i].Errors
	}
	return doc
}

func build(r *report.Report) *TestSuites {
	c := *r
	c.Findings = append([]report.Finding(nil), r.Findings...)
	c.Policies = append([]report.PolicyResult(nil), r.Policies...)
	c.Collectors = append([]report.CollectorResult(nil), r.Collectors...)
	c.Sort()

	tgt := targetName(&c)
	host := c.Host
	if host == "" {
		host = "localhost"
	}
	timestamp := ""
	if !c.StartedAt.IsZero() {
		timestamp = c.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}

	// Suites in bundle order as loaded, then any bundle only named by a
	// policy, finding or collector.
	order := []string{}
	suites := map[string]*TestSuite{}
	suite := func(name string) *TestSuite {
		if s, ok := suites[name]; ok {
			return s
		}
		s := &TestSuite{Name: name, Timestamp: timestamp, Hostname: host, Package: name,
			Properties: []Property{{Name: "assay.target", Value: tgt}, {Name: "assay.target.kind", Value: string(c.Target.Kind)}}}
		suites[name] = s
		order = append(order, name)
		return s
	}
	for _, b := range c.Bundles {
		s := suite(b.Name)
		for _, p := range []Property{{"assay.bundle.version", b.Version}, {"assay.bundle.source", b.Source}, {"assay.bundle.digest", b.Digest}} {
			if p.Value != "" {
				s.Properties = append(s.Properties, p)
			}
		}
	}

	policies := c.Policies
	listed := make(map[string]bool, len(policies))
	for _, p := range policies {
		listed[p.Bundle+"\x00"+p.ID] = true
	}
	byPolicy := map[string][]*report.Finding{}
	for i := range c.Findings {
		f := &c.Findings[i]
		k := f.Bundle + "\x00" + f.PolicyID
		byPolicy[k] = append(byPolicy[k], f)
		if !listed[k] { // a finding of a policy the report does not list
			listed[k] = true
			policies = append(policies, report.PolicyResult{Bundle: f.Bundle, ID: f.PolicyID, Title: f.Title, Severity: f.Severity,
				Enforcement: f.Enforcement, Status: report.StatusFail})
		}
	}
	collectorTime := map[string]float64{}
	for _, col := range c.Collectors {
		collectorTime[col.Bundle] += col.DurationSeconds
	}

	for _, p := range policies {
		s := suite(p.Bundle)
		tc := TestCase{Name: p.ID + " [" + tgt + "]", Classname: p.Bundle + "." + p.ID, Time: seconds(0)}
		var out strings.Builder
		if p.Title != "" {
			fmt.Fprintf(&out, "%s\n", p.Title)
		}
		fmt.Fprintf(&out, "severity %s, %s", p.Severity, enforcement(p.Enforcement))
		if len(p.Controls) > 0 {
			fmt.Fprintf(&out, ", controls %s", strings.Join(p.Controls, ", "))
		}
		fmt.Fprintf(&out, "; %d documents judged\n", p.Documents)
		var waiver *report.Waiver // of the first waived finding
		for _, f := range byPolicy[p.Bundle+"\x00"+p.ID] {
			line := oneLine(f)
			switch {
			case f.Waived != nil:
				// An accepted risk is not a failure: it is listed, with
				// its justification, and skips the testcase when it is
				// all there is.
				if waiver == nil {
					waiver = f.Waived
				}
				fmt.Fprintf(&out, "waived: %s — %s\n", line, waiverText(f.Waived))
				continue
			case f.Kind == report.Warn:
				fmt.Fprintf(&out, "warning: %s\n", line)
				continue
			}
			tc.Failures = append(tc.Failures, Problem{Message: line, Type: string(f.Kind) + "/" + enforcement(f.Enforcement), Text: failureText(f)})
		}
		switch p.Status {
		case report.StatusError:
			tc.Errors = append(tc.Errors, Problem{Message: "evaluation failed: " + p.Error, Type: "evaluation", Text: p.Error})
		case report.StatusSkip:
			if len(tc.Failures) == 0 {
				msg := "no document to judge"
				if p.SkipReason != "" && p.SkipReason != report.NoDocumentReason {
					msg += ": " + p.SkipReason
				}
				tc.Skipped = &Skipped{Message: msg}
			}
		}
		if waiver != nil && len(tc.Failures) == 0 && len(tc.Errors) == 0 && tc.Skipped == nil {
			tc.Skipped = &Skipped{Message: "waived: " + waiverText(waiver)}
		}
		tc.SystemOut = out.String()
		add(s, tc)
	}
	addTailoring(c.Tailoring, tgt, c.Bundles, suite)
	for _, col := range c.Collectors {
		failed := col.Status.Failed()
		if !failed && col.SkippedTotal == 0 {
			continue
		}
		name := col.Type + "." + col.Name
		bundle := col.Bundle
		if bundle == "" { // what the target itself skipped (target.image)
			bundle = targetSuite
		}
		tc := TestCase{Name: "collect " + name + " [" + tgt + "]", Classname: bundle + ".collect." + name, Time: seconds(col.DurationSeconds)}
		if failed {
			tc.Errors = []Problem{{Message: fmt.Sprintf("collector %s %s: %s", name, col.Status, col.Error), Type: "collector-" + string(col.Status), Text: col.Error}}
		} else {
			tc.Skipped = &Skipped{Message: fmt.Sprintf("%d item(s) not read", col.SkippedTotal)}
		}
		tc.SystemOut = skipSummary(col)
		add(suite(bundle), tc)
	}

	doc := &TestSuites{Name: "assay", Time: seconds(c.Timings.TotalSeconds)}
	if c.Timings.TotalSeconds == 0 {
		doc.Time = seconds(c.Duration.Seconds())
	}
	for i, name := range order {
		s := suites[name]
		s.ID = i
		s.Time = seconds(collectorTime[name])
		doc.Suites = append(doc.Suites, *s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	return doc
}

// targetSuite holds what the target skipped, which no bundle asked for.
const targetSuite = "target"

// Bounds of a collector's skip summary in <system-out>: every reason counted
// (at most report.MaxSkipReasons+1 of them) and the first skips listed.
const (
	maxListedSkips = 10
	maxSkipText    = 512
)

// skipSummary lists what a collector skipped: the count per reason, then
// the first skipped items. "" when it skipped nothing.
func skipSummary(col report.CollectorResult) string {
	if col.SkippedTotal == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "skipped %d item(s)\n", col.SkippedTotal)
	if len(col.SkippedByReason) > 0 {
		b.WriteString("by reason:\n")
	}
	for i, r := range col.SkippedByReason {
		if i > report.MaxSkipReasons {
			break
		}
		fmt.Fprintf(&b, "  %d %s\n", r.Count, report.Shorten(r.Reason, maxSkipText))
	}
	if len(col.Skipped) > 0 {
		b.WriteString("first skipped:\n")
	}
	for i, s := range col.Skipped {
		if i == maxListedSkips {
			fmt.Fprintf(&b, "  … (the JSON report lists up to %d)\n", report.DefaultMaxSkips)
			break
		}
		fmt.Fprintf(&b, "  %s: %s\n", report.Shorten(s.Path, maxSkipText), report.Shorten(s.Reason, maxSkipText))
	}
	return b.String()
}

func add(s *TestSuite, tc TestCase) {
	s.Cases = append(s.Cases, tc)
	s.Tests++
	if len(tc.Failures) > 0 {
		s.Failures++
	}
	if len(tc.Errors) > 0 {
		s.Errors++
	}
	if tc.Skipped != nil {
		s.Skipped++
	}
}

// oneLine is "path:line: message", the form editors and CI logs link.
func oneLine(f *report.Finding) string {
	if loc := f.Location(); loc != "" {
		return loc + ": " + f.Message
	}
	return f.Message
}

func failureText(f *report.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", oneLine(f))
	fmt.Fprintf(&b, "policy: %s/%s (%s, %s)\n", f.Bundle, f.PolicyID, f.Severity, enforcement(f.Enforcement))
	if f.Collector != "" {
		fmt.Fprintf(&b, "collector: %s\n", f.Collector)
	}
	if f.Remediation != "" {
		fmt.Fprintf(&b, "remediation: %s\n", f.Remediation)
	}
	if f.Fingerprint != "" {
		fmt.Fprintf(&b, "fingerprint: %s\n", f.Fingerprint)
	}
	if w := f.WaiverExpired; w != nil {
		fmt.Fprintf(&b, "waiver %s expired %s: the finding counts again\n", w.ID, w.Expired)
	}
	if f.Baseline != "" {
		fmt.Fprintf(&b, "baseline: %s\n", f.Baseline)
	}
	return b.String()
}

// waiverText is a waiver's justification and who accepted the risk until
// when: "Break-glass host (waiver legacy-root, approved by secops, expires
// 2027-03-31, ticket SEC-1)".
func waiverText(w *report.Waiver) string {
	parts := []string{"waiver " + w.ID}
	if w.ApprovedBy != "" {
		parts = append(parts, "approved by "+w.ApprovedBy)
	}
	if w.Expires != "" {
		parts = append(parts, "expires "+w.Expires)
	}
	if w.Ticket != "" {
		parts = append(parts, "ticket "+w.Ticket)
	}
	return w.Justification + " (" + strings.Join(parts, ", ") + ")"
}

func enforcement(e report.Enforcement) string {
	if e == "" {
		return string(report.Advisory)
	}
	return string(e)
}

func targetName(r *report.Report) string {
	if r.Target.Name == "/" && r.Host != "" {
		return r.Host
	}
	if r.Target.Name == "" {
		return "unknown"
	}
	return r.Target.Name
}
