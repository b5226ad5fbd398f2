package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/report"
)

// TestExplainSkips: a skipped policy says how the collectors it reads
// fared; one that reads every collector of its bundle names them all.
func TestExplainSkips(t *testing.T) {
	col := func(typ, name string) *bundle.Collect {
		return &bundle.Collect{Type: collector.Type{Name: typ}, Name: name}
	}
	b := &bundle.Bundle{Name: "b",
		Collects: []*bundle.Collect{col("sshd_config", "main"), col("file", "keys"), col("file", "slow"), col("file", "broken"), col("file", "stuck"), col("file", "denied")},
		Policies: []*bundle.Policy{
			{ID: "na", Inputs: []string{"sshd_config.main"}},
			{ID: "empty", Inputs: []string{"file.keys"}},
			{ID: "slow", Inputs: []string{"file.slow"}},
			{ID: "broken", Inputs: []string{"file.broken"}},
			{ID: "stuck", Inputs: []string{"file.stuck"}},
			{ID: "denied", Inputs: []string{"file.denied"}},
			{ID: "two", Inputs: []string{"sshd_config.main", "file.keys"}},
			{ID: "judged", Inputs: []string{"file.keys"}},
		}}
	r := &report.Report{
		Collectors: []report.CollectorResult{
			{Bundle: "b", Type: "sshd_config", Name: "main", Status: report.CollectorNotApplicable, Error: "/etc/ssh/sshd_config: not applicable"},
			{Bundle: "b", Type: "file", Name: "keys", Status: report.CollectorOK},
			{Bundle: "b", Type: "file", Name: "slow", Status: report.CollectorTimeout, Error: "did not finish within 5m0s"},
			{Bundle: "b", Type: "file", Name: "broken", Status: report.CollectorFailed, Error: "read /x: input/output error"},
			{Bundle: "b", Type: "file", Name: "stuck", Status: report.CollectorStillRunning, Error: "not started"},
			{Bundle: "b", Type: "file", Name: "denied", Status: report.CollectorOK, SkippedTotal: 3},
		},
	}
	for _, p := range b.Policies {
		st := report.StatusSkip
		if p.ID == "judged" {
			st = report.StatusPass
		}
		r.Policies = append(r.Policies, report.PolicyResult{Bundle: "b", ID: p.ID, Status: st})
	}
	r.Policies = append(r.Policies, report.PolicyResult{Bundle: "other", ID: "nothing", Status: report.StatusSkip})
	explainSkips(r, []*bundle.Bundle{b})
	want := map[string]string{
		"na":      "collector sshd_config.main does not apply: /etc/ssh/sshd_config: not applicable",
		"empty":   "collector file.keys found nothing",
		"slow":    "collector file.slow timed out: did not finish within 5m0s",
		"broken":  "collector file.broken failed: read /x: input/output error",
		"stuck":   "collector file.stuck is still running from an earlier scan",
		"denied":  "collector file.denied found nothing it could read (3 item(s) skipped)",
		"two":     "collector sshd_config.main does not apply: /etc/ssh/sshd_config: not applicable, and collector file.keys found nothing",
		"judged":  "",
		"nothing": report.NoDocumentReason,
	}
	for _, p := range r.Policies {
		if p.SkipReason != want[p.ID] {
			t.Errorf("%s: %q, want %q", p.ID, p.SkipReason, want[p.ID])
		}
	}
}

// TestNothingChecked: the error names the reasons, most frequent first, a
// bounded number of them, and what to do.
func TestNothingChecked(t *testing.T) {
	r := &report.Report{}
	if err := NothingChecked(r); !errors.Is(err, ErrNothingChecked) || !strings.Contains(err.Error(), "the bundles hold no policy") {
		t.Errorf("no policy: %v", err)
	}
	r.Tailoring = &report.Tailoring{Disabled: []report.DisabledPolicy{{}, {}}}
	if err := NothingChecked(r); !errors.Is(err, ErrNothingChecked) || !strings.Contains(err.Error(), "the overlays disabled all 2 policies of the bundles") {
		t.Errorf("every policy disabled: %v", err)
	}
	r.Tailoring = nil
	r.Policies = []report.PolicyResult{{Bundle: "x", ID: "only", Status: report.StatusSkip, SkipReason: "reason z"}}
	if got, want := NothingChecked(r).Error(), "nothing was checked: the only policy was skipped (1 because reason z); "; !strings.HasPrefix(got, want) {
		t.Errorf("one policy: got %s, want it to start %s", got, want)
	}
	r.Policies = nil
	for i, reason := range []string{"a", "b", "b", "c", "d", "e", "f", "g"} {
		r.Policies = append(r.Policies, report.PolicyResult{Bundle: "x", ID: string(rune('p' + i)), Status: report.StatusSkip, SkipReason: "reason " + reason})
	}
	got := NothingChecked(r).Error()
	want := "nothing was checked: all 8 policies were skipped (2 because reason b; 1 because reason a; 1 because reason c; 1 because reason d; 1 because reason e; 2 more reasons); " +
		"point the scan at what the bundles check (--root, --image, -b), or pass --allow-empty to accept a scan that checks nothing"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
