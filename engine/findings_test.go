package engine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

func TestFindingFields(t *testing.T) {
	b := newBundle(t, "ssh", nil, pol{id: "root-login", title: "Root login", severity: report.SeverityHigh,
		inputs: []string{"sshd_config.main"},
		rego: `package assay.ssh.root
deny contains {"msg": "PermitRootLogin is yes", "line": 3} if input.settings.permitrootlogin == "yes"`})
	b.Policies[0].Controls = []string{"CIS-5.2.10"}
	b.Policies[0].Remediation = "Set PermitRootLogin no."
	e := mustNew(t, []*bundle.Bundle{b})
	res := mustEval(t, e, Input{
		Target: target.Info{Kind: target.KindHost, Name: "/"},
		Documents: []document.Entry{{Bundle: "ssh", CollectorID: "sshd_config.main", Document: document.Document{
			"kind": "sshd_config", "collector": "main", "path": "/etc/ssh/sshd_config",
			"settings": map[string]any{"permitrootlogin": "yes"},
		}}},
	})
	want := report.Finding{
		Bundle: "ssh", PolicyID: "root-login", Title: "Root login", Kind: report.Deny,
		Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.10"},
		Message: "PermitRootLogin is yes", Remediation: "Set PermitRootLogin no.", Target: "/",
		Collector: "sshd_config.main", Path: "/etc/ssh/sshd_config", Line: 3,
	}
	want.ComputeFingerprint()
	if len(res.Findings) != 1 || !reflect.DeepEqual(res.Findings[0], want) {
		t.Fatalf("findings = %#v\nwant %#v", res.Findings, want)
	}
	wantPolicy := report.PolicyResult{
		Bundle: "ssh", ID: "root-login", Title: "Root login", Severity: report.SeverityHigh,
		Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.10"}, Remediation: "Set PermitRootLogin no.",
		Source: "ssh/bundle.hcl:10", Status: report.StatusFail, Documents: 1, Findings: 1,
	}
	if !reflect.DeepEqual(res.Policies, []report.PolicyResult{wantPolicy}) {
		t.Fatalf("policies = %#v\nwant %#v", res.Policies, wantPolicy)
	}
}

func TestMetadataAnnotations(t *testing.T) {
	const annotated = `# METADATA
# title: Passwords are off
# description: Password authentication invites brute force.
# custom:
#   severity: critical
#   remediation: Set PasswordAuthentication no.
#   controls: [CIS-5.2.12]
#   enforcement: advisory
package %s

deny contains "x" if true`
	tests := []struct {
		name     string
		implicit bool
		hcl      pol
		want     report.PolicyResult
	}{
		{
			name: "annotations fill what HCL left unset",
			hcl:  pol{id: "p"},
			want: report.PolicyResult{ID: "p", Title: "Passwords are off", Description: "Password authentication invites brute force.",
				Severity: report.SeverityCritical, Enforcement: report.Mandatory, Remediation: "Set PasswordAuthentication no.",
				Controls: []string{"CIS-5.2.12"}},
		},
		{
			name: "HCL wins",
			hcl:  pol{id: "p", title: "From HCL", severity: report.SeverityLow},
			want: report.PolicyResult{ID: "p", Title: "From HCL", Description: "Password authentication invites brute force.",
				Severity: report.SeverityLow, Enforcement: report.Mandatory, Remediation: "Set PasswordAuthentication no.",
				Controls: []string{"CIS-5.2.12"}},
		},
		{
			name:     "implicit bundles take everything from annotations",
			implicit: true,
			hcl:      pol{id: "p"},
			want: report.PolicyResult{ID: "p", Title: "Passwords are off", Description: "Password authentication invites brute force.",
				Severity: report.SeverityCritical, Enforcement: report.Advisory, Remediation: "Set PasswordAuthentication no.",
				Controls: []string{"CIS-5.2.12"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.hcl
			p.rego = fmt.Sprintf(annotated, "pw")
			b := newBundle(t, "b", nil, p)
			b.Implicit = tt.implicit
			if tt.implicit {
				b.Policies[0].Enforcement = ""
			}
			res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{})
			got := res.Policies[0]
			got.Bundle, got.Source, got.Status = "", "", ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("policy:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}

	t.Run("loader parsed without annotations", func(t *testing.T) {
		src := fmt.Sprintf(annotated, "pw")
		b := newBundle(t, "b", nil, pol{id: "p", rego: src})
		b.Policies[0].Module.Parsed.Annotations = nil
		res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{})
		if got := res.Policies[0].Title; got != "Passwords are off" {
			t.Errorf("title %q, want it read from the source", got)
		}
	})

	t.Run("bad severity", func(t *testing.T) {
		b := newBundle(t, "b", nil, pol{id: "p", rego: "# METADATA\n# custom:\n#   severity: extreme\npackage p\ndeny contains 1 if false"})
		_, err := New(context.Background(), []*bundle.Bundle{b})
		got := diagLines(t, err)
		if len(got) != 1 || !strings.HasPrefix(got[0], "b/p.rego:1:1: Invalid custom.severity in METADATA") {
			t.Errorf("diagnostics %q", got)
		}
	})
}
