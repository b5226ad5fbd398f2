package prometheus

import (
	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/assay-dev/assay/core/report"
)

// Tailoring metrics: one series per overlay file and one per disabled
// policy, so that an alert or a dashboard sees a fleet's tailoring. Reasons
// and param values stay out of labels (free text, unbounded); -f json has
// them.
var (
	descOverlayInfo = desc("overlay_info", "Overlay files (--overlay) the last scan applied, by overlay name and the SHA-256 of the file; always 1.",
		"overlay", "sha256")
	descPolicyDisabled = desc("policy_disabled", "Policies an overlay disabled in the last scan (not evaluated); always 1. The reason is in the JSON report.",
		"bundle", "policy", "overlay")
)

func tailoringMetrics(m *metrics, t *report.Tailoring) {
	if t.Empty() {
		return
	}
	seen := map[string]bool{}
	for _, o := range t.Overlays {
		if seen[o.Name] { // names are unique once applied; stay safe
			continue
		}
		seen[o.Name] = true
		m.add(descOverlayInfo, prom.GaugeValue, 1, o.Name, o.SHA256)
	}
	dseen := map[string]bool{}
	for _, d := range t.Disabled {
		if k := d.Bundle + "\x00" + d.Policy; !dseen[k] {
			dseen[k] = true
			m.add(descPolicyDisabled, prom.GaugeValue, 1, d.Bundle, d.Policy, d.Overlay)
		}
	}
}
