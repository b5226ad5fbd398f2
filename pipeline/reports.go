package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/assay-dev/assay/internal/hclguard"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/html"
	"github.com/assay-dev/assay/internal/safefile"
)

// DefaultMaxReportSize bounds one JSON report read back by `assay report`:
// the per-document limit of `assay eval`, as a report is a document too.
const DefaultMaxReportSize = 64 << 20

// SavedReport is a JSON report read back from a file (docs/output.md): the
// report and the summary its gate wrote beside it.
type SavedReport struct {
	Path    string
	Report  *report.Report
	Summary ReportSummary
	// Sections are the summaries of a multi-target report's sections
	// (schema 2), one per Report.Targets entry.
	Sections []ReportSummary
}

// ReportSummary is the "summary" object of a JSON report.
type ReportSummary struct {
	ExitCode   int            `json:"exit_code"`
	Documents  int            `json:"documents"`
	Findings   int            `json:"findings"`
	Failing    int            `json:"failing"`
	BySeverity map[string]int `json:"by_severity"`
	ByStatus   map[string]int `json:"policies_by_status"`
}

// ReadReports reads JSON reports for `assay report`, each within maxBytes.
// Its errors are usage errors (exit code 2) that name the file, and the
// line and column where there is one.
func ReadReports(paths []string, maxBytes int64) ([]*SavedReport, error) {
	out := make([]*SavedReport, 0, len(paths))
	for _, p := range paths {
		r, err := ReadReport(p, maxBytes)
		if err != nil {
			return nil, exitcode.UsageError(err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadReport reads one JSON report written by `assay scan -f json` or
// `assay eval -f json`. It refuses what is not one — another tool's JSON,
// the documents of `assay collect`, a report of another schema version —
// and a file larger than maxBytes, which it never reads past.
func ReadReport(path string, maxBytes int64) (*SavedReport, error) {
	return readReport(path, maxBytes, reportUse{tooLarge: tooLarge, otherVersion: "render it with the assay that wrote it (assay %s)"})
}

// reportUse is what a reader of saved reports tells the user: the error of
// a file beyond its limit, and what to do with a report of another schema
// version (a format of the version of the assay that wrote it).
type reportUse struct {
	tooLarge     func(int64) error
	otherVersion string
}

// readReport is ReadReport with the messages of one use.
func readReport(path string, maxBytes int64, use reportUse) (*SavedReport, error) {
	data, err := readBounded(path, safefile.Pipes, maxBytes, "a JSON report file", use.tooLarge)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &InputError{File: path, Err: errors.New("empty file: want a JSON report (assay scan -f json -o report.json)")}
	}
	// The header first: what the file is decides which error helps.
	var head struct {
		Schema        string       `json:"schema"`
		SchemaVersion *string      `json:"schema_version"`
		Tool          *report.Tool `json:"tool"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return nil, &InputError{File: path, Line: 1, Col: 1, Err: errors.New("the top level is not a JSON object: want an assay JSON report")}
		}
		return nil, jsonError(path, data, err)
	}
	switch {
	case head.Schema == DocumentsSchema:
		return nil, &InputError{File: path, Err: errors.New("this is the output of 'assay collect' (documents), not a report: judge it first with 'assay eval --documents FILE -f json -o report.json', then render that")}
	case head.Tool == nil || head.Tool.Name != "assay" || head.SchemaVersion == nil:
		by := ""
		if head.Tool != nil && head.Tool.Name != "" {
			by = fmt.Sprintf(" (its tool is %q)", head.Tool.Name)
		}
		return nil, &InputError{File: path, Err: fmt.Errorf("not an assay JSON report%s: want the output of 'assay scan -f json' or 'assay eval -f json', which has \"schema_version\" and \"tool\": {\"name\": \"assay\"}", by)}
	case *head.SchemaVersion == report.MultiSchemaVersion:
		return readMultiReport(path, data)
	case *head.SchemaVersion != report.SchemaVersion:
		return nil, &InputError{File: path, Err: fmt.Errorf("schema_version %q: this assay reads JSON reports of schema version %q (one target) and %q (several); %s",
			*head.SchemaVersion, report.SchemaVersion, report.MultiSchemaVersion, fmt.Sprintf(use.otherVersion, head.Tool.Version))}
	}
	var doc savedSection
	doc.Report = &report.Report{}
	if err := decodeReport(path, data, &doc); err != nil {
		return nil, err
	}
	saved := &SavedReport{Path: path, Report: doc.Report, Summary: doc.summary(nil)}
	doc.Report.Documents = saved.Summary.Documents
	return saved, nil
}

// savedSection is a schema-1 report, or one section of a schema-2 report
// (which adds status, error and labels).
type savedSection struct {
	*report.Report
	Summary *ReportSummary      `json:"summary"`
	Status  report.TargetStatus `json:"status"`
	Error   string              `json:"error"`
	Labels  map[string]string   `json:"labels"`
}

// summary is the saved summary, or for a report without one (older, or
// hand-made) the default gate's verdict, as a scan without --fail-on would
// have judged it; t is the section's target result in a schema-2 report.
func (s *savedSection) summary(t *report.TargetResult) ReportSummary {
	if s.Summary != nil {
		return *s.Summary
	}
	gate := report.Gate{}
	code := gate.ExitCode(s.Report)
	if t != nil {
		code = gate.TargetExitCode(t)
	}
	return ReportSummary{ExitCode: code, Failing: gate.FailingCount(s.Report), Findings: len(s.Report.Findings)}
}

// readMultiReport reads a schema-2 report (docs/output.md, several
// targets) into a multi-target report.Report.
func readMultiReport(path string, data []byte) (*SavedReport, error) {
	var doc struct {
		SchemaVersion string          `json:"schema_version"`
		Tool          report.Tool     `json:"tool"`
		StartedAt     time.Time       `json:"started_at"`
		Bundles       []report.Bundle `json:"bundles"`
		Targets       []savedSection  `json:"targets"`
		Timings       report.Timings  `json:"timings"`
		Summary       *ReportSummary  `json:"summary"`
	}
	if err := decodeReport(path, data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Targets) == 0 {
		return nil, &InputError{File: path, Err: errors.New("a report of schema version \"2\" with no targets[]: want the output of 'assay scan --target|--inventory -f json'")}
	}
	r := &report.Report{SchemaVersion: doc.SchemaVersion, Tool: doc.Tool, StartedAt: doc.StartedAt, Bundles: doc.Bundles, Timings: doc.Timings,
		Targets: make([]report.TargetResult, len(doc.Targets))}
	saved := &SavedReport{Path: path, Report: r, Sections: make([]ReportSummary, len(doc.Targets))}
	for i := range doc.Targets {
		sec := &doc.Targets[i]
		if sec.Report == nil {
			sec.Report = &report.Report{}
		}
		switch sec.Status {
		case report.TargetOK, report.TargetFailed:
		default:
			return nil, &InputError{File: path, Err: fmt.Errorf("targets[%d]: status %q: want %q or %q", i, sec.Status, report.TargetOK, report.TargetFailed)}
		}
		r.Targets[i] = report.TargetResult{Report: sec.Report, Status: sec.Status, Error: sec.Error, Labels: sec.Labels}
		saved.Sections[i] = sec.summary(&r.Targets[i])
		sec.Report.Documents = saved.Sections[i].Documents
	}
	if doc.Summary != nil {
		saved.Summary = *doc.Summary
	} else {
		gate := report.Gate{}
		saved.Summary = ReportSummary{ExitCode: gate.ExitCode(r), Failing: gate.FailingCount(r)}
		for _, s := range saved.Sections {
			saved.Summary.Documents += s.Documents
			saved.Summary.Findings += s.Findings
		}
	}
	return saved, nil
}

// decodeReport decodes a report's JSON into v; its errors name the file,
// and the line and column where there is one.
func decodeReport(path string, data []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		if located := jsonError(path, data, err); located.(*InputError).Line > 0 {
			return located
		}
		// A value the report model refuses: the only one is an unknown
		// severity, which the decoder does not locate.
		if off, ok := badSeverity(data); ok {
			line, col := lineCol(data, off)
			return &InputError{File: path, Line: line, Col: col, Err: err}
		}
		return &InputError{File: path, Err: err}
	}
	return nil
}

// badSeverity finds the first "severity" whose value is not a severity
// name, and returns the offset of that value.
func badSeverity(data []byte) (int64, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	afterKey := false // the previous token was the key "severity"
	inObject := []bool{}
	expectKey := false
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		switch v := tok.(type) {
		case json.Delim:
			afterKey = false
			switch v {
			case '{':
				inObject = append(inObject, true)
				expectKey = true
			case '[':
				inObject = append(inObject, false)
				expectKey = false
			default:
				inObject = inObject[:len(inObject)-1]
				expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
			}
			continue
		case string:
			if expectKey {
				afterKey = v == "severity"
				expectKey = false
				continue
			}
			if afterKey {
				if _, err := report.ParseSeverity(v); err != nil {
					// start is before the separator that precedes the value.
					return start + int64(bytes.IndexByte(data[start:], '"')), true
				}
			}
		}
		afterKey = false
		expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
	}
}

// readBounded reads a file, a pipe or a character device
// (safefile.ReadLimited), never more than maxBytes+1 bytes; beyond
// maxBytes it fails with tooLarge's error, on a directory with one that
// asks for want ("a JSON report file").
func readBounded(path string, accept safefile.Accept, maxBytes int64, want string, tooLarge func(int64) error) ([]byte, error) {
	data, err := safefile.ReadLimited(path, maxBytes, accept)
	switch {
	case errors.Is(err, safefile.ErrTooLarge):
		err = tooLarge(maxBytes)
	case errors.Is(err, safefile.ErrDirectory):
		err = errors.New("a directory: want " + want)
	}
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	return data, nil
}

func tooLarge(maxBytes int64) error {
	return fmt.Errorf("larger than the %s limit of a report: raise --max-size if the file is one", hclguard.Size(maxBytes))
}

// WriteHTML renders saved reports as one HTML page (exporters/html) to
// output, written atomically through safefile, or to stdout when output is
// "" or "-". generator is the assay that renders it.
func WriteHTML(ctx context.Context, reports []*SavedReport, title string, generator report.Tool, output string, stdout io.Writer) error {
	p := html.Page{Title: title, Generator: generator}
	for _, r := range reports {
		if !r.Report.Multi() {
			p.Reports = append(p.Reports, html.Input{Report: r.Report, Source: r.Path, ExitCode: r.Summary.ExitCode,
				Failing: r.Summary.Failing, Documents: r.Summary.Documents})
			continue
		}
		// A multi-target report: a report per target, as scan -f html
		// shows it.
		for i := range r.Report.Targets {
			in := html.TargetInput(r.Report, &r.Report.Targets[i])
			in.Source, in.ExitCode, in.Failing, in.Documents = r.Path, r.Sections[i].ExitCode, r.Sections[i].Failing, r.Sections[i].Documents
			p.Reports = append(p.Reports, in)
		}
	}
	render := func(w io.Writer) error { return html.Render(ctx, w, p) }
	if output == "" || output == "-" {
		return render(stdout)
	}
	if err := safefile.Write(output, 0o644, render); err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	return nil
}
