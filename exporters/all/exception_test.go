package all_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/all"
)

// TestExceptionsFlowEverywhere: a finding that a conftest-style exception
// rule excepts (report.ExceptionWaiver, which the engine sets once it
// evaluates exception rules) appears in every output as a waived finding,
// justified "exception rule in PACKAGE", and does not fail the gate.
func TestExceptionsFlowEverywhere(t *testing.T) {
	f := report.Finding{Bundle: "k8s", PolicyID: "main", Title: "Containers do not run as root", Kind: report.Deny,
		Severity: report.SeverityHigh, Enforcement: report.Mandatory, Message: "Containers must not run as root",
		Target: "deployment.yaml", Path: "deployment.yaml"}
	f.ComputeFingerprint()
	f.Waived = report.ExceptionWaiver("main", "run_as_root")
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindDocuments, Name: "deployment.yaml"},
		Policies: []report.PolicyResult{{Bundle: "k8s", ID: "main", Title: "Containers do not run as root", Severity: report.SeverityHigh,
			Enforcement: report.Mandatory, Status: report.StatusFail, Documents: 1, Findings: 1}},
		Findings: []report.Finding{f},
	}
	r.SettleWaived()
	r.Scores = report.ComputeScores(r)
	if r.Policies[0].Status != report.StatusWaived {
		t.Fatalf("policy status %s, want waived", r.Policies[0].Status)
	}
	gate := report.Gate{}
	if code := gate.ExitCode(r); code != exitcode.Clean {
		t.Errorf("exit code %d, want 0: an excepted finding fails the gate", code)
	}
	want := map[string]*regexp.Regexp{
		"table":      regexp.MustCompile(`(?m)^high \(waived\) +k8s/main .*\n(.|\n)*· 1 waived ·`),
		"json":       regexp.MustCompile(`"waived": \{\s+"id": "exception:main:run_as_root",\s+"kind": "exception",\s+"justification": "exception rule in main"`),
		"sarif":      regexp.MustCompile(`"suppressions": \[\s+\{\s+"kind": "external",\s+"status": "accepted",\s+"justification": "exception rule in main"`),
		"junit":      regexp.MustCompile(`<skipped message="waived: exception rule in main \(waiver exception:main:run_as_root\)">`),
		"prometheus": regexp.MustCompile(`(?m)^assay_findings_waived\{bundle="k8s",enforcement="mandatory",kind="deny",policy="main",policy_severity="high"\} 1$`),
		"html":       regexp.MustCompile(`Waived</strong> by <code>exception:main:run_as_root</code>: exception rule in main</p>`),
	}
	reg := all.Registry()
	for _, name := range reg.Names() {
		t.Run(name, func(t *testing.T) {
			re, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for format %s: say how it shows an exception", name)
			}
			format, err := reg.Get(name)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := format.New(&buf, exporters.Options{Gate: gate, ShowWaived: true}).Export(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if !re.Match(buf.Bytes()) {
				t.Errorf("%s output does not match %s:\n%s", name, re, buf.String())
			}
		})
	}
}
