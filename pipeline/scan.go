// Package scan runs the whole pipeline once: the collect blocks of the loaded
// bundles against a target, then the engine over their documents, into one
// report. It is shared by `assay scan`, `assay collect` and `assay serve`.
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline/waiver"
)

// Pipeline is a loaded scan: bundles compiled, target open.
type Pipeline struct {
	Bundles []*bundle.Bundle
	Engine  *engine.Engine
	// Target is what Collect reads; nil when the documents come from files
	// (assay eval), which Evaluate judges with Collected.Target.
	Target target.Target
	// Collectors are the collector types: the "host" type gives the host
	// facts, and types with NetFacts the network identities of a report.
	Collectors *collector.Registry
	Logger     *slog.Logger
	// CollectorTimeout bounds each collector (0: none).
	CollectorTimeout time.Duration
	// Parallel bounds the collectors that run at once.
	Parallel int
	// Tool names this program in reports.
	Tool report.Tool
	// Progress, when set, is told about each collector as it finishes.
	Progress func(done, total int, c report.CollectorResult)
	// Data fetches the bundles' live data sources before each evaluation;
	// nil means a Data that fails on any source that cannot be fetched.
	Data *Data
	// Combine judges the documents of files at once with the policies of
	// conftest-style bundles, as conftest --combine (engine.Input.Combine).
	Combine bool
	// Explain, when set, names a policy ("ID" or "BUNDLE/ID") whose
	// findings each evaluation explains (engine.Engine.Explain), handing
	// the explanations to Explained.
	Explain   string
	Explained func(*engine.Explained)
	// Abandoned holds the collectors of earlier scans that outlived their
	// deadline and have not returned: Collect does not start them again
	// (status still_running). A Scanner shares one between its pipelines;
	// nil tracks only one Collect.
	Abandoned *collectors.Abandoned
	// Secrets are what the live data sources may read credentials from
	// (nil: nothing); their values are redacted from the documents and
	// reports the pipeline returns.
	Secrets *datasource.Secrets
	// Tailoring is what the overlays changed in Bundles (ApplyOverlays);
	// every report of the pipeline records it.
	Tailoring *report.Tailoring
	// Waivers, when set, mark the findings they cover, judged at Now (nil:
	// the time of each scan); Baseline, when set, marks findings new or
	// unchanged. See settle.
	Waivers  *waiver.Set
	Now      func() time.Time
	Baseline *SavedReport
}

// Collected is the output of the collect phase.
type Collected struct {
	// Target describes what the documents came from.
	Target     target.Info
	Host       document.Document
	Documents  []document.Entry
	Collectors []report.CollectorResult
	Duration   time.Duration
}

// Jobs lists the collect blocks of the bundles as runner jobs.
func Jobs(bundles []*bundle.Bundle) []collectors.Job {
	var jobs []collectors.Job
	for _, b := range bundles {
		for _, c := range b.Collects {
			jobs = append(jobs, collectors.Job{Bundle: b.Name, Type: c.Type, Name: c.Name, Collector: c.Collector})
		}
	}
	return jobs
}

// Collect runs every collect block against the target, plus the host facts
// that policies see as data.assay.host. What it returns leaves the run
// (assay collect writes it): the values of the secrets the run holds are
// redacted.
func (p *Pipeline) Collect(ctx context.Context) *Collected {
	c := p.collect(ctx, false)
	redactValue(newRedactor(p.Secrets), c)
	return c
}

// collect is Collect without redaction, for the policies to judge what the
// files really hold; the report is redacted instead. asText keeps the
// documents as their JSON text until they are judged (holdAsText), for a
// run that only judges them.
func (p *Pipeline) collect(ctx context.Context, asText bool) *Collected {
	start := time.Now()
	logger := p.logger()
	runner := &collectors.Runner{Target: p.Target, Logger: logger, Timeout: p.CollectorTimeout, Parallel: p.Parallel, Progress: p.Progress,
		Abandoned: p.Abandoned}
	outs := runner.Run(ctx, Jobs(p.Bundles))
	c := &Collected{Target: p.Target.Info(), Host: p.hostFacts(ctx)}
	if r, ok := targetSkips(p.Target); ok {
		c.Collectors = append(c.Collectors, r)
	}
	holding := &textHolding{kinds: map[string]bool{}}
	for i := range outs {
		o := &outs[i]
		c.Collectors = append(c.Collectors, o.Result)
		for _, d := range o.Documents {
			e := document.Entry{Bundle: o.Job.Bundle, CollectorID: o.Job.ID(), Document: d}
			if asText {
				p.holdAsText(&e, holding)
			}
			c.Documents = append(c.Documents, e)
		}
		o.Documents = nil // the entries hold them now, as maps or as text
	}
	c.Duration = time.Since(start)
	return c
}

// holdAsText keeps a collected document as the text of its JSON object
// until it is judged, as assay eval keeps its files (document.Entry.JSON):
// a Go map per object and a boxed value per field take two to three times
// the text (26,000 documents of 20,000 users' authorized_keys: 65 MB of
// maps, 30 MB of text), and the engine decodes the text to Rego values no
// slower than it converts the maps. Documents whose network facts the
// report reads stay maps (netFacts), and so does one whose text would not
// decode to the Rego value its map gives (appendPlainJSON).
func (p *Pipeline) holdAsText(e *document.Entry, h *textHolding) {
	kind := e.Document.Kind()
	asText, known := h.kinds[kind]
	if !known {
		asText = netFactsHook(p.Collectors, kind) == nil
		h.kinds[kind] = asText
	}
	if !asText {
		return
	}
	text, ok := appendPlainJSON(h.buf[:0], map[string]any(e.Document), 0)
	h.buf = text
	if ok {
		// A copy of its own length: the text is held to the end.
		e.JSON, e.Document = bytes.Clone(text), nil
	}
}

// textHolding is what holdAsText keeps from one document to the next.
type textHolding struct {
	kinds map[string]bool // whether a kind is held as text (ForDocumentKind is a scan)
	buf   []byte          // each document's text is written here first
}

// appendPlainJSON appends the JSON text of v to b, in one pass that both
// writes and checks it; ok is false when v holds a value whose JSON text
// the engine would not decode to the Rego value ast.InterfaceToValue makes
// of it. It takes strings of valid UTF-8, booleans, null, integers, and
// the maps and slices that InterfaceToValue takes as they are (a nil one
// is then {} or []), within engine.MaxJSONDepth. Not a float64
// (InterfaceToValue writes 1e+06, JSON 1000000), nor another type, which
// InterfaceToValue converts through encoding/json (a nil []int is null
// there). Written by hand, not by a JSON encoder: a second walk of each
// document to check it, and the encoder's reflection over every map
// entry, took two thirds of the time.
func appendPlainJSON(b []byte, v any, depth int) (_ []byte, ok bool) {
	if depth >= engine.MaxJSONDepth {
		return b, false
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case string:
		return appendJSONString(b, x)
	case []string:
		return appendArray(b, x, depth, appendStringAt)
	case map[string]string:
		return appendObject(b, x, depth, appendStringAt)
	case []any:
		return appendArray(b, x, depth+1, appendPlainJSON)
	case map[string]any:
		return appendObject(b, x, depth+1, appendPlainJSON)
	}
	return b, false
}

// appendArray appends a JSON array of xs, each element written by elem
// at depth.
func appendArray[T any](b []byte, xs []T, depth int, elem func([]byte, T, int) ([]byte, bool)) (_ []byte, ok bool) {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = elem(b, x, depth); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendObject appends a JSON object of m, each value written by value at
// depth.
func appendObject[T any](b []byte, m map[string]T, depth int, value func([]byte, T, int) ([]byte, bool)) (_ []byte, ok bool) {
	b = append(b, '{')
	n := 0
	for k, v := range m {
		if n++; n > 1 {
			b = append(b, ',')
		}
		if b, ok = appendJSONString(b, k); !ok {
			return b, false
		}
		b = append(b, ':')
		if b, ok = value(b, v, depth); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendJSONString appends s quoted; ok is false for invalid UTF-8, which
// JSON would change.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	b, err := jsontext.AppendQuote(b, s)
	return b, err == nil
}

// appendStringAt is appendJSONString as an element of appendArray and
// appendObject (a string has no depth).
func appendStringAt(b []byte, s string, _ int) ([]byte, bool) { return appendJSONString(b, s) }

// Scan fetches the live data, collects and evaluates once; the target is
// a fleet of one for fleet policies. A data source
// that cannot be fetched fails the scan (a *FetchError) before any
// collector runs.
func (p *Pipeline) Scan(ctx context.Context) (*report.Report, error) {
	start := time.Now()
	sources, err := p.fetchData(ctx)
	if err != nil {
		return nil, err
	}
	col := p.collect(ctx, true)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scan interrupted: %w", err)
	}
	r, err := p.evaluate(ctx, col, sources)
	if err != nil {
		return nil, err
	}
	if err := p.judgeFleet(ctx, []FleetMember{{Report: r, Host: col.Host, Documents: col.Documents}}); err != nil {
		return nil, err
	}
	r.StartedAt = start.UTC()
	r.Timings.TotalSeconds = time.Since(start).Seconds()
	newRedactor(p.Secrets).redactReport(r)
	return r, nil
}

// Evaluate fetches the live data, judges collected documents and assembles
// the report, redacted as Scan's.
func (p *Pipeline) Evaluate(ctx context.Context, col *Collected) (*report.Report, error) {
	sources, err := p.fetchData(ctx)
	if err != nil {
		return nil, err
	}
	r, err := p.evaluate(ctx, col, sources)
	if err != nil {
		return nil, err
	}
	if err := p.judgeFleet(ctx, []FleetMember{{Report: r, Host: col.Host, Documents: col.Documents}}); err != nil {
		return nil, err
	}
	newRedactor(p.Secrets).redactReport(r)
	return r, nil
}

// fetchData fetches the bundles' live data, with the secrets the operator
// allows and none other, and publishes it to the engine.
func (p *Pipeline) fetchData(ctx context.Context) ([]report.DataSource, error) {
	if err := checkSecrets(p.Secrets, p.Bundles); err != nil {
		return nil, err
	}
	d := p.Data
	if d == nil {
		d = &Data{Logger: p.Logger}
	}
	values, sources, err := d.Fetch(datasource.WithSecrets(ctx, p.Secrets), p.Bundles)
	var fe *FetchError
	if errors.As(err, &fe) {
		newRedactor(p.Secrets).redactDiags(fe.Diags)
	}
	if err != nil {
		return nil, err
	}
	if len(values) > 0 {
		if err := p.Engine.SetData(ctx, values); err != nil {
			return nil, fmt.Errorf("publish data: %w", err)
		}
	}
	return sources, nil
}

func (p *Pipeline) evaluate(ctx context.Context, col *Collected, sources []report.DataSource) (*report.Report, error) {
	evalStart := time.Now()
	info := col.Target
	in := engine.Input{Documents: col.Documents, Host: col.Host, Target: info, Combine: p.Combine}
	res, err := p.Engine.Eval(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if p.Explain != "" && p.Explained != nil {
		red := newRedactor(p.Secrets)
		ex, err := p.Engine.Explain(ctx, in, p.Explain, red.String)
		if err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
		redactValue(red, ex)
		p.Explained(ex)
	}
	r := NewReport(p.Tool, info, p.Bundles)
	r.Tailoring = p.Tailoring
	r.Host, _ = col.Host["hostname"].(string)
	r.Collectors = col.Collectors
	r.Documents = len(col.Documents)
	r.Policies = res.Policies
	r.Findings = res.Findings
	r.Net = netFacts(p.Collectors, col.Documents)
	r.DataSources = sources
	r.Timings.CollectSeconds = col.Duration.Seconds()
	r.Timings.EvaluateSeconds = time.Since(evalStart).Seconds()
	r.Timings.TotalSeconds = r.Timings.CollectSeconds + r.Timings.EvaluateSeconds
	r.StartedAt = evalStart.Add(-col.Duration).UTC()
	r.Sort()
	if !p.Engine.HasFleet() {
		// Otherwise every report evaluated becomes a fleet member, settled
		// once the fleet findings are in (judgeFleet).
		p.settle(r)
	}
	return r, nil
}

// hostFacts are the document of the "host" collector type for the target,
// which policies see as data.assay.host; nil when the registry has no such
// type.
func (p *Pipeline) hostFacts(ctx context.Context) document.Document {
	t, ok := p.Collectors.Lookup(collector.HostType)
	if !ok {
		return nil
	}
	c, diags := t.New(hcl.EmptyBody(), nil)
	if diags.HasErrors() || c == nil {
		return nil
	}
	var first firstDocument
	if err := c.Collect(ctx, collector.Env{Target: p.Target, Logger: p.logger(), Name: collector.HostType}, &first); err != nil {
		p.logger().Debug("host facts", "err", err)
	}
	return first.doc
}

// firstDocument keeps the first document emitted, and drops skips: host
// facts leave out what they cannot read.
type firstDocument struct {
	mu  sync.Mutex
	doc document.Document
}

func (f *firstDocument) Emit(d document.Document) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.doc == nil {
		f.doc = d
	}
}

func (f *firstDocument) Skip(string, error) {}

// skipReporter is a target that passed over some of its content while
// opening (an image's hostile layer entries).
type skipReporter interface {
	Skips() []report.Skip
	SkipsTotal() int
	SkipsByReason() []report.SkipCount
}

// targetSkips reports what the target itself skipped as a pseudo collector
// ("target.image"), so every output lists it with the collectors' skips:
// the first ones, the count, and the count per reason.
func targetSkips(t target.Target) (report.CollectorResult, bool) {
	sr, ok := t.(skipReporter)
	if !ok || sr.SkipsTotal() == 0 {
		return report.CollectorResult{}, false
	}
	return report.CollectorResult{
		Type: "target", Name: string(t.Info().Kind), Status: report.CollectorOK,
		Skipped: sr.Skips(), SkippedTotal: sr.SkipsTotal(), SkippedByReason: sr.SkipsByReason(),
	}, true
}

// NewReport starts a report for the bundles and target.
func NewReport(tool report.Tool, info target.Info, bundles []*bundle.Bundle) *report.Report {
	r := &report.Report{SchemaVersion: report.SchemaVersion, Tool: tool, Target: info}
	for _, b := range bundles {
		r.Bundles = append(r.Bundles, report.Bundle{Name: b.Name, Version: b.Version, Source: b.Source, Description: b.Description, Digest: b.Digest, Revision: b.Revision, Signer: b.Signer})
	}
	return r
}

func (p *Pipeline) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// ScanFailed gives a failed scan or evaluation its exit code: 3, with the
// diagnostics of data sources that could not be fetched kept for showing;
// secrets the operator did not allow keep their exit code 2.
func ScanFailed(err error) error {
	var (
		fe *FetchError
		de *DiagnosticsError
	)
	if errors.As(err, &fe) || errors.As(err, &de) {
		return err
	}
	return exitcode.ScanError(err)
}

// checkSecrets refuses, before anything is fetched, the secrets that the
// bundles' live data sources name and the operator did not allow: one
// diagnostic at each attribute, exit code 2.
func checkSecrets(s *datasource.Secrets, bundles []*bundle.Bundle) error {
	var diags hcl.Diagnostics
	for _, b := range bundles {
		if b == nil {
			continue
		}
		for _, ld := range b.Live {
			if u, ok := ld.Source.(datasource.SecretUser); ok {
				diags = append(diags, s.CheckRefs(u.SecretRefs())...)
			}
		}
	}
	if len(diags) == 0 {
		return nil
	}
	return &DiagnosticsError{Diags: diags, Files: bundle.Files(bundles...), Code: exitcode.Usage,
		Message: "the bundles name secrets this run does not allow (see above)"}
}
