package html

import "github.com/assay-dev/assay/core/report"

// tailoringView fills the provenance rows of a tailored report: the
// overlays applied, by name and SHA-256, and the policies they disabled
// with their reasons.
func tailoringView(t *targetView, tl *report.Tailoring) {
	if tl.Empty() {
		return
	}
	for _, o := range tl.Overlays {
		t.Overlays = append(t.Overlays, fileView{Name: o.Name, Path: o.File, SHA256: o.SHA256})
	}
	for _, d := range tl.Disabled {
		t.Disabled = append(t.Disabled, disabledView{Bundle: d.Bundle, Policy: d.Policy, Reason: d.Reason, Overlay: d.Overlay})
	}
}
