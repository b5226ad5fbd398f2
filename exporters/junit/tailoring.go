package junit

import (
	"fmt"

	"github.com/assay-dev/assay/core/report"
)

// addTailoring records the overlays of a tailored run: each bundle's
// suite lists every overlay applied (property assay.overlay, "NAME
// sha256:HEX"), and each policy an overlay disabled is a skipped test
// case whose message gives the reason. suite returns (or creates) a
// bundle's suite.
func addTailoring(t *report.Tailoring, tgt string, bundles []report.Bundle, suite func(string) *TestSuite) {
	if t.Empty() {
		return
	}
	for _, b := range bundles {
		s := suite(b.Name)
		for _, o := range t.Overlays {
			s.Properties = append(s.Properties, Property{Name: "assay.overlay", Value: o.Name + " sha256:" + o.SHA256})
		}
	}
	for _, c := range t.Severities {
		s := suite(c.Bundle)
		s.Properties = append(s.Properties, Property{Name: "assay.severity_changed",
			Value: fmt.Sprintf("%s: %s to %s by overlay %s", c.Policy, c.From, c.To, c.Overlay)})
	}
	for _, d := range t.Disabled {
		add(suite(d.Bundle), TestCase{
			Name: d.Policy + " [" + tgt + "]", Classname: d.Bundle + "." + d.Policy, Time: seconds(0),
			Skipped:   &Skipped{Message: fmt.Sprintf("disabled by overlay %s: %s", d.Overlay, d.Reason)},
			SystemOut: d.Title,
		})
	}
}
