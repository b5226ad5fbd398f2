package pipeline

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline/overlay"
)

// ApplyOverlays reads the overlay files (--overlay), in order, and applies
// them to the loaded bundles: it returns tailored copies of the bundles,
// ready to compile, and the tailoring the report records. The bundles'
// files are not touched, so a signed bundle stays verified. With no files
// it returns the bundles and a nil Tailoring. A file that cannot be read
// and every mistake in one (a bundle not loaded, an unknown policy or
// param, a value of the wrong type) come back as a *DiagnosticsError
// (exit code 2) at the overlay's file:line:col.
func (e *Env) ApplyOverlays(bundles []*bundle.Bundle, files []string) ([]*bundle.Bundle, *report.Tailoring, error) {
	if len(files) == 0 {
		return bundles, nil, nil
	}
	var (
		parsed []*overlay.File
		diags  hcl.Diagnostics
	)
	sources := map[string]*hcl.File{}
	for _, name := range files {
		f, d := overlay.ReadFile(name)
		diags = append(diags, d...)
		if f.HCL != nil {
			sources[name] = f.HCL
		}
		parsed = append(parsed, f)
	}
	// A file with mistakes is still checked against the bundles, as far
	// as it could be read, so that one run lists every mistake.
	usable := parsed[:0:0]
	for _, f := range parsed {
		if f.Name != "" {
			usable = append(usable, f)
		}
	}
	tailored, t, d := overlay.Apply(bundles, usable)
	diags = append(diags, d...)
	if !diags.HasErrors() {
		e.warn(diags, sources)
		e.logger().Debug("overlays applied", "overlays", len(t.Overlays), "disabled", len(t.Disabled), "severities", len(t.Severities), "params", len(t.Params))
		return tailored, t, nil
	}
	return nil, nil, &DiagnosticsError{Diags: diags, Files: sources, Code: exitcode.Usage, Message: "the overlays have errors (see above)"}
}
