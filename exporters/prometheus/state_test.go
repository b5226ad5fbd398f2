package prometheus_test

import (
	"bytes"
	"testing"

	assayprom "github.com/assay-dev/assay/exporters/prometheus"
)

// TestStateOverBudget: the daemon counts, per policy, the scans in which a
// policy was stopped for the memory budget; the series passes promtool.
func TestStateOverBudget(t *testing.T) {
	s := assayprom.NewStateCollector("1.2.3")
	var before bytes.Buffer
	if err := assayprom.Render(&before, s); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(before.Bytes(), []byte("assay_policy_memory_exceeded_total")) {
		t.Error("a series before any policy exceeded the budget")
	}
	s.PolicyOverBudget("b", "hog")
	s.PolicyOverBudget("b", "hog")
	s.PolicyOverBudget("b", "other")
	var buf bytes.Buffer
	if err := assayprom.Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	fams := parse(t, buf.Bytes())
	f := fams["assay_policy_memory_exceeded_total"]
	if f == nil || f.typ != "COUNTER" {
		t.Fatalf("no counter assay_policy_memory_exceeded_total in\n%s", buf.String())
	}
	for _, want := range []string{
		`assay_policy_memory_exceeded_total{bundle="b",policy="hog"} 2`,
		`assay_policy_memory_exceeded_total{bundle="b",policy="other"} 1`,
	} {
		if !bytes.Contains(buf.Bytes(), []byte(want+"\n")) {
			t.Errorf("no %s in\n%s", want, buf.String())
		}
	}
	promtool(t, buf.Bytes())
}
