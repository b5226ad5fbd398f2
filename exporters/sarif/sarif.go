// Package sarif writes a report as SARIF 2.1.0, the shape GitHub code
// scanning and other SARIF consumers ingest: one rule per policy, one result
// per finding, stable fingerprints, and an invocation that records the exit
// code and every collector error or skip.
package sarif

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters"
)

// Constants of the format.
const (
	// SchemaURI is the official SARIF 2.1.0 schema (errata 01).
	SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// Version is the SARIF version written.
	Version = "2.1.0"
	// InformationURI is assay's home page, shown by consumers next to the tool.
	InformationURI = "https://github.com/assay-dev/assay"
	// TargetRoot is the uriBaseId every result location is relative to.
	TargetRoot = "TARGETROOT"
)

// GitHub code scanning's documented hard limits on an uploaded SARIF file
// ("SARIF results exceed limit"). assay writes one run per file.
const (
	MaxResultsPerRun = 25000
	MaxRulesPerRun   = 25000
	MaxTagsPerRule   = 20
	MaxRunsPerFile   = 20
	MaxLocations     = 1000
)

// Format is the output format -f sarif.
func Format() exporters.Format {
	return exporters.Format{
		Name: "sarif",
		Ext:  ".sarif",
		Help: "SARIF 2.1.0 for GitHub code scanning and other SARIF consumers",
		New:  func(w io.Writer, o exporters.Options) exporters.Exporter { return New(w, o) },
	}
}

// Exporter writes SARIF.
type Exporter struct {
	w io.Writer
	o exporters.Options
}

// New returns an exporter writing to w.
func New(w io.Writer, o exporters.Options) *Exporter { return &Exporter{w: w, o: o} }

// Export implements exporters.Exporter.
func (e *Exporter) Export(ctx context.Context, r *report.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	log, err := Build(r, e.o.Gate)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

// SecuritySeverity maps assay severities onto GitHub's security-severity
// scale (over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low). Info
// has no GitHub band of its own and lands at the bottom of "low".
func SecuritySeverity(s report.Severity) string {
	switch s {
	case report.SeverityCritical:
		return "9.5"
	case report.SeverityHigh:
		return "8.0"
	case report.SeverityMedium:
		return "5.5"
	case report.SeverityLow:
		return "3.0"
	default:
		return "1.0"
	}
}

// Level maps a severity onto SARIF's result levels.
func Level(s report.Severity) string {
	switch {
	case s >= report.SeverityHigh:
		return "error"
	case s == report.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

// resultLevel is the level of one finding: a Rego warn is never an error.
func resultLevel(f *report.Finding) string {
	l := Level(f.Severity)
	if f.Kind == report.Warn && l == "error" {
		return "warning"
	}
	return l
}

// RuleID is the SARIF rule id of a policy: the bundle name and the policy id,
// so two bundles may reuse a policy id without sharing alerts.
func RuleID(bundle, policy string) string { return bundle + "/" + policy }

// Build turns a report into a SARIF log. It does not change r. A
// multi-target report gives one run per target, each with its own
// automationDetails.id, so that each host's alerts open and close on their
// own; a target that could not be scanned is a run with no results whose
// invocation failed, with the reason.
func Build(r *report.Report, gate report.Gate) (*Log, error) {
	if !r.Multi() {
		run, err := buildRun(r, gate.ExitCode(r))
		if err != nil {
			return nil, err
		}
		return &Log{Schema: SchemaURI, Version: Version, Runs: []Run{*run}}, nil
	}
	runs := make([]Run, 0, len(r.Targets))
	for i := range r.Targets {
		t := &r.Targets[i]
		rep := t.Report
		if rep == nil {
			rep = &report.Report{Tool: r.Tool}
		}
		run, err := buildRun(rep, gate.TargetExitCode(t))
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Info().Name, err)
		}
		if t.Status == report.TargetFailed {
			run.Invocations[0].ExecutionSuccessful = false
			run.Invocations[0].ToolExecutionNotifications = append([]Notification{{
				Descriptor: &ReportingDescriptorReference{ID: "target-failed"},
				Level:      "error",
				Message:    Message{Text: "target not scanned: " + t.Error},
			}}, run.Invocations[0].ToolExecutionNotifications...)
		}
		if len(t.Labels) > 0 {
			if run.Properties == nil {
				run.Properties = map[string]any{}
			}
			run.Properties["assay/labels"] = t.Labels
		}
		runs = append(runs, *run)
	}
	return &Log{Schema: SchemaURI, Version: Version, Runs: runs}, nil
}

// buildRun is the run of one target's report, whose exit code is code.
func buildRun(r *report.Report, code int) (*Run, error) {
	rep := sortedCopy(r)
	rules, index, err := buildRules(rep)
	if err != nil {
		return nil, err
	}
	var notes []Notification
	results := make([]Result, 0, len(rep.Findings))
	lineHashes := map[string]int{}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if len(results) == MaxResultsPerRun {
			notes = append(notes, Notification{
				Descriptor: &ReportingDescriptorReference{ID: "results-truncated"},
				Level:      "warning",
				Message: Message{Text: fmt.Sprintf("%d findings exceed GitHub's limit of %d results per run; the %d least severe were left out (use -f json for all of them)",
					len(rep.Findings), MaxResultsPerRun, len(rep.Findings)-MaxResultsPerRun)},
			})
			break
		}
		key := ruleKey(f.Bundle, f.PolicyID)
		ri, ok := index[key]
		if !ok { // a finding for a policy the report does not list
			rules = append(rules, ruleFromFinding(f))
			ri = len(rules) - 1
			index[key] = ri
		}
		results = append(results, buildResult(rep, f, rules[ri].ID, ri, lineHashes))
	}
	if len(rules) > MaxRulesPerRun {
		return nil, fmt.Errorf("sarif: %d policies exceed GitHub's limit of %d rules per run", len(rules), MaxRulesPerRun)
	}

	inv := Invocation{
		ExecutionSuccessful:        code != exitcode.ScanFailed,
		ExitCode:                   &code,
		ToolExecutionNotifications: append(notifications(rep, index), notes...),
	}
	if !rep.StartedAt.IsZero() {
		inv.StartTimeUTC = rep.StartedAt.UTC().Format(time.RFC3339Nano)
		inv.EndTimeUTC = rep.StartedAt.Add(rep.Duration).UTC().Format(time.RFC3339Nano)
	}

	name := rep.Tool.Name
	if name == "" {
		name = "assay"
	}
	run := Run{
		Tool: Tool{Driver: ToolComponent{
			Name:            name,
			Version:         rep.Tool.Version,
			SemanticVersion: semanticVersion(rep.Tool.Version),
			InformationURI:  InformationURI,
			Rules:           rules,
		}},
		AutomationDetails:  &RunAutomationDetails{ID: AutomationID(rep)},
		OriginalURIBaseIDs: map[string]ArtifactLocation{TargetRoot: rootLocation(rep)},
		Invocations:        []Invocation{inv},
		Results:            results,
		ColumnKind:         "unicodeCodePoints",
	}
	run.Properties = runProperties(rep)
	return &run, nil
}

// sortedCopy copies the slices Build orders, so the caller's report stays as
// it was.
func sortedCopy(r *report.Report) *report.Report {
	c := *r
	c.Findings = append([]report.Finding(nil), r.Findings...)
	c.Policies = append([]report.PolicyResult(nil), r.Policies...)
	c.Collectors = append([]report.CollectorResult(nil), r.Collectors...)
	c.Sort()
	return &c
}

func ruleKey(bundle, policy string) string { return bundle + "\x00" + policy }

func buildRules(r *report.Report) ([]ReportingDescriptor, map[string]int, error) {
	rules := make([]ReportingDescriptor, 0, len(r.Policies))
	index := make(map[string]int, len(r.Policies))
	for _, p := range r.Policies {
		key := ruleKey(p.Bundle, p.ID)
		if _, dup := index[key]; dup {
			return nil, nil, fmt.Errorf("sarif: policy %q listed twice in bundle %q", p.ID, p.Bundle)
		}
		index[key] = len(rules)
		rules = append(rules, rule(p))
	}
	return rules, index, nil
}

func rule(p report.PolicyResult) ReportingDescriptor {
	title := p.Title
	if title == "" {
		title = p.ID
	}
	full := p.Description
	if full == "" {
		full = title
	}
	help := helpText(p)
	return ReportingDescriptor{
		ID:                   RuleID(p.Bundle, p.ID),
		Name:                 p.ID,
		ShortDescription:     &MultiformatMessage{Text: title},
		FullDescription:      &MultiformatMessage{Text: full},
		Help:                 &help,
		DefaultConfiguration: &ReportingConfiguration{Level: Level(p.Severity)},
		Properties: &ReportingDescriptorBag{
			Tags:             tags(p.Controls),
			SecuritySeverity: SecuritySeverity(p.Severity),
			Severity:         p.Severity.String(),
			Enforcement:      string(p.Enforcement),
			Bundle:           p.Bundle,
			Source:           p.Source,
		},
	}
}

func ruleFromFinding(f *report.Finding) ReportingDescriptor {
	return rule(report.PolicyResult{
		Bundle: f.Bundle, ID: f.PolicyID, Title: f.Title, Severity: f.Severity,
		Enforcement: f.Enforcement, Controls: f.Controls, Remediation: f.Remediation,
	})
}

// tags are "security" (GitHub shows security-severity only on rules tagged
// so) and the control ids, deduplicated and cut to GitHub's limit.
func tags(controls []string) []string {
	out := []string{"security"}
	seen := map[string]bool{"security": true}
	for _, c := range controls {
		if c == "" || seen[c] {
			continue
		}
		if len(out) == MaxTagsPerRule {
			break
		}
		seen[c] = true
		out = append(out, c)
	}
	return out
}

func helpText(p report.PolicyResult) MultiformatMessage {
	var text, md strings.Builder
	title := p.Title
	if title == "" {
		title = p.ID
	}
	fmt.Fprintf(&text, "%s\n", title)
	fmt.Fprintf(&md, "**%s**\n", title)
	if p.Description != "" {
		fmt.Fprintf(&text, "\n%s\n", p.Description)
		fmt.Fprintf(&md, "\n%s\n", p.Description)
	}
	if p.Remediation != "" {
		fmt.Fprintf(&text, "\nRemediation: %s\n", p.Remediation)
		fmt.Fprintf(&md, "\n## Remediation\n\n%s\n", p.Remediation)
	}
	fmt.Fprintf(&text, "\nSeverity: %s. Enforcement: %s.", p.Severity, enforcement(p.Enforcement))
	fmt.Fprintf(&md, "\n| Severity | Enforcement | Bundle |\n|---|---|---|\n| %s | %s | `%s` |\n", p.Severity, enforcement(p.Enforcement), p.Bundle)
	if len(p.Controls) > 0 {
		fmt.Fprintf(&text, " Controls: %s.", strings.Join(p.Controls, ", "))
		fmt.Fprintf(&md, "\nControls: %s\n", "`"+strings.Join(p.Controls, "`, `")+"`")
	}
	return MultiformatMessage{Text: text.String(), Markdown: md.String()}
}

func enforcement(e report.Enforcement) string {
	if e == "" {
		return string(report.Advisory)
	}
	return string(e)
}

func buildResult(r *report.Report, f *report.Finding, ruleID string, ruleIndex int, lineHashes map[string]int) Result {
	msg := f.Message
	if msg == "" {
		msg = f.Title
	}
	if msg == "" {
		msg = ruleID
	}
	loc := PhysicalLocation{ArtifactLocation: ArtifactLocation{URI: artifactURI(f.Path), URIBaseID: TargetRoot}}
	if f.Line > 0 && f.Path != "" {
		loc.Region = &Region{StartLine: f.Line}
	}
	fp := map[string]string{
		"primaryLocationLineHash": lineHash(r, f, lineHashes),
	}
	if f.Fingerprint != "" {
		fp["assayFingerprint/v1"] = f.Fingerprint
	}
	props := map[string]any{
		"assay/kind":        string(f.Kind),
		"assay/severity":    f.Severity.String(),
		"assay/enforcement": enforcement(f.Enforcement),
	}
	if f.Collector != "" {
		props["assay/collector"] = f.Collector
	}
	if f.Target != "" {
		props["assay/target"] = f.Target
	}
	if f.WaiverExpired != nil {
		props["assay/waiver_expired"] = f.WaiverExpired.ID
		props["assay/waiver_expired_on"] = f.WaiverExpired.Expired
	}
	return Result{
		RuleID:              ruleID,
		RuleIndex:           ruleIndex,
		Kind:                "fail",
		Level:               resultLevel(f),
		Message:             Message{Text: msg},
		Locations:           []Location{{PhysicalLocation: &loc}},
		PartialFingerprints: fp,
		Suppressions:        suppressions(f),
		BaselineState:       string(f.Baseline),
		Properties:          props,
	}
}

// suppressions marks a waived finding as SARIF does an accepted external
// suppression, with the waiver's justification; its id, approver, expiry
// and ticket (or the exception rule) go in the properties.
func suppressions(f *report.Finding) []Suppression {
	w := f.Waived
	if w == nil {
		return nil
	}
	props := map[string]any{"assay/waiver": w.ID}
	for k, v := range map[string]string{"assay/kind": string(w.Kind), "assay/approved_by": w.ApprovedBy, "assay/expires": w.Expires, "assay/ticket": w.Ticket} {
		if v != "" {
			props[k] = v
		}
	}
	return []Suppression{{Kind: "external", Status: "accepted", Justification: w.Justification, Properties: props}}
}

// runProperties are what the run says beyond its results: the host, the
// overlays applied (the policies they disabled, which have no rule in the
// run, and the severities and params they changed, as the JSON report
// holds them), the scores and control roll-up, the waivers and how each
// fared, and the baseline's counts.
func runProperties(r *report.Report) map[string]any {
	props := map[string]any{}
	if r.Host != "" {
		props["assay/host"] = r.Host
	}
	if !r.Tailoring.Empty() {
		props["assay/tailoring"] = r.Tailoring
	}
	if r.Scores != nil {
		props["assay/scores"] = r.Scores
	}
	if r.Waivers != nil {
		props["assay/waivers"] = r.Waivers
	}
	if b := r.Baseline; b != nil {
		props["assay/baseline"] = map[string]any{"file": b.File, "new": b.New, "unchanged": b.Unchanged, "fixed": b.Fixed}
	}
	if len(props) == 0 {
		return nil
	}
	return props
}

// artifactURI turns a path inside the target ("/etc/ssh/sshd_config") into a
// relative URI reference ("etc/ssh/sshd_config"), each segment escaped. A
// finding with no path points at the target root itself.
func artifactURI(p string) string {
	rel := target.Rel(p)
	if rel == "." {
		return "./"
	}
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.Join(segs, "/")
	// A first segment with a colon would read as a URI scheme.
	if strings.Contains(segs[0], ":") {
		u = "./" + u
	}
	return u
}

// lineHash stands in for GitHub's primaryLocationLineHash, which GitHub can
// only compute for files in the repository checkout; host and image paths are
// not. It hashes what identifies the spot (policy, target, path, message) but
// not the line number, so an alert survives lines moving above it; the
// ":n" suffix numbers repeats of the same hash, as GitHub's own does.
func lineHash(r *report.Report, f *report.Finding, seen map[string]int) string {
	h := sha256.New()
	for _, s := range []string{f.Bundle, f.PolicyID, targetName(r), f.Path, f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	seen[sum]++
	return fmt.Sprintf("%s:%d", sum, seen[sum])
}

func targetName(r *report.Report) string {
	if r.Target.Kind == target.KindHost && r.Host != "" {
		return r.Host
	}
	return r.Target.Name
}

// AutomationID gives each target its own analysis category
// ("assay/image/registry.example/app:1.2/" …), so that uploading the scan of
// one image never closes the alerts of another. The part after the last slash
// (the run) is left empty: GitHub then takes the whole id as the category.
func AutomationID(r *report.Report) string {
	kind := string(r.Target.Kind)
	if kind == "" {
		kind = "target"
	}
	name := targetName(r)
	if name == "" {
		name = "unknown"
	}
	return "assay/" + kind + "/" + categorySafe.ReplaceAllString(strings.Trim(name, "/"), "_") + "/"
}

// categorySafe keeps category ids printable and free of whitespace.
var categorySafe = regexp.MustCompile(`[^A-Za-z0-9._:@/+-]`)

// rootLocation describes what TARGETROOT stands for. Only absolute
// directories get a file URI; an image has no URI a consumer could open, so it
// is described in words.
func rootLocation(r *report.Report) ArtifactLocation {
	t := r.Target
	switch t.Kind {
	case target.KindHost:
		desc := "the root filesystem of the scanned host"
		if r.Host != "" {
			desc += " " + r.Host
		}
		return ArtifactLocation{URI: "file:///", Description: &Message{Text: desc}}
	case target.KindRoot:
		loc := ArtifactLocation{Description: &Message{Text: "the root filesystem scanned at " + t.Name}}
		if strings.HasPrefix(t.Name, "/") {
			loc.URI = (&url.URL{Scheme: "file", Path: strings.TrimSuffix(t.Name, "/") + "/"}).String()
		}
		return loc
	case target.KindSSH:
		desc := "the root filesystem of the host reached at " + t.Name
		if r.Host != "" {
			desc += " (" + r.Host + ")"
		}
		return ArtifactLocation{Description: &Message{Text: desc}}
	case target.KindImage:
		desc := "the root filesystem of container image " + t.Name
		if t.Digest != "" {
			desc += " (" + t.Digest + ")"
		}
		return ArtifactLocation{Description: &Message{Text: desc}}
	default:
		return ArtifactLocation{Description: &Message{Text: "the scanned target " + t.Name}}
	}
}

var semverRE = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// semanticVersion returns the version when it is semver, else "" (a "dev"
// build has none).
func semanticVersion(v string) string {
	if m := semverRE.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

// notifications reports collector failures and skips and policies that could
// not be evaluated, so a consumer sees what was not judged.
func notifications(r *report.Report, index map[string]int) []Notification {
	var out []Notification
	for _, c := range r.Collectors {
		name := c.Type + "." + c.Name
		props := map[string]any{"assay/bundle": c.Bundle, "assay/collector": name}
		if c.Status.Failed() {
			msg := fmt.Sprintf("collector %s %s", name, c.Status)
			if c.Error != "" {
				msg += ": " + c.Error
			}
			out = append(out, Notification{
				Descriptor: &ReportingDescriptorReference{ID: "collector-" + string(c.Status)},
				Level:      "error", Message: Message{Text: msg}, Properties: props,
			})
		}
		for _, s := range c.Skipped {
			n := Notification{
				Descriptor: &ReportingDescriptorReference{ID: "collector-skip"},
				Level:      "warning",
				Message:    Message{Text: fmt.Sprintf("collector %s skipped %s: %s", name, s.Path, s.Reason)},
				Properties: props,
			}
			if s.Path != "" {
				n.Locations = []Location{{PhysicalLocation: &PhysicalLocation{
					ArtifactLocation: ArtifactLocation{URI: artifactURI(s.Path), URIBaseID: TargetRoot}}}}
			}
			out = append(out, n)
		}
		if more := c.SkippedTotal - len(c.Skipped); more > 0 {
			out = append(out, Notification{
				Descriptor: &ReportingDescriptorReference{ID: "collector-skip"},
				Level:      "warning",
				Message:    Message{Text: fmt.Sprintf("collector %s skipped %d more items", name, more)},
				Properties: props,
			})
		}
		// Every skip is counted by its reason, however many were listed.
		for _, r := range c.SkippedByReason {
			out = append(out, Notification{
				Descriptor: &ReportingDescriptorReference{ID: "collector-skip-summary"},
				Level:      "note",
				Message:    Message{Text: fmt.Sprintf("collector %s skipped %d item(s): %s", name, r.Count, r.Reason)},
				Properties: map[string]any{"assay/bundle": c.Bundle, "assay/collector": name, "assay/skip_reason": r.Reason, "assay/skip_count": r.Count},
			})
		}
	}
	for _, p := range r.Policies {
		if p.Status != report.StatusError {
			continue
		}
		i := index[ruleKey(p.Bundle, p.ID)]
		msg := fmt.Sprintf("policy %s could not be evaluated", RuleID(p.Bundle, p.ID))
		if p.Error != "" {
			msg += ": " + p.Error
		}
		out = append(out, Notification{
			Descriptor:     &ReportingDescriptorReference{ID: "policy-error"},
			AssociatedRule: &ReportingDescriptorReference{ID: RuleID(p.Bundle, p.ID), Index: &i},
			Level:          "error",
			Message:        Message{Text: msg},
		})
	}
	return out
}
