package sarif

import "github.com/assay-dev/assay/core/report"

// addTailoring records the overlays of a tailored run in the run's
// properties (assay/tailoring: the overlays by name and SHA-256, the
// policies disabled with their reasons, the severities and params
// changed), as the JSON report holds them. A disabled policy has no rule
// in the run: it was not evaluated.
func addTailoring(run *Run, rep *report.Report) {
	if rep.Tailoring.Empty() {
		return
	}
	if run.Properties == nil {
		run.Properties = map[string]any{}
	}
	run.Properties["assay/tailoring"] = rep.Tailoring
}
