package prometheus_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	assayprom "github.com/assay-dev/assay/exporters/prometheus"
)

// TestDocsListEveryMetric keeps docs/metrics.md and the code in step: each
// described metric has a row with its labels, and each documented assay_
// metric exists.
func TestDocsListEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	nameRE := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)
	described := map[string]bool{}
	for _, d := range assayprom.Descs() {
		m := nameRE.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read %s", d)
		}
		described[m[1]] = true
		row := regexp.MustCompile("(?m)^\\| `" + m[1] + "` \\|.*$").Find(doc)
		if row == nil {
			t.Errorf("docs/metrics.md has no row for %s", m[1])
			continue
		}
		for _, l := range strings.Split(m[2], ",") {
			if l != "" && !strings.Contains(string(row), "`"+l+"`") {
				t.Errorf("docs/metrics.md: %s row does not list label %s", m[1], l)
			}
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `(assay_[a-z_]+)` \\|").FindAllSubmatch(doc, -1) {
		if !described[string(m[1])] {
			t.Errorf("docs/metrics.md documents %s, which the collector does not describe", m[1])
		}
	}
}
