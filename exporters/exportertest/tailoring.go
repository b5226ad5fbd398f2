package exportertest

import "github.com/assay-dev/assay/core/report"

// Tailored is CleanImage scanned with two overlays: one disabled a policy
// (so the report does not list it) with a reason, changed a severity and
// set params; the other only set a param.
func Tailored() *report.Report {
	r := CleanImage()
	r.Policies[0].Severity = report.SeverityCritical
	r.Tailoring = &report.Tailoring{
		Overlays: []report.Overlay{
			{Name: "acme-cis-l1", File: "overlays/cis-l1.hcl", SHA256: "3f2a9c0d1e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeef", Description: "CIS Level 1, ACME's way"},
			{Name: "lab", File: "lab.hcl", SHA256: "00aa11bb22cc33dd44ee55ff66778899aabbccddeeff00112233445566778899"},
		},
		Disabled: []report.DisabledPolicy{
			{Bundle: "image-baseline", Policy: "no-shell", Title: "The image has no shell", Reason: "debug images ship a shell; ticket SEC-12 & <co>", Overlay: "acme-cis-l1"},
		},
		Severities: []report.SeverityChange{
			{Bundle: "image-baseline", Policy: "no-root-user", From: report.SeverityHigh, To: report.SeverityCritical, Overlay: "acme-cis-l1"},
		},
		Params: []report.ParamSetting{
			{Bundle: "image-baseline", Name: "allowed_users", Value: []any{"app", "nobody"}, Default: []any{"app"}, Overlay: "lab"},
			{Bundle: "image-baseline", Name: "max_layers", Value: 40, Default: 30, Overlay: "acme-cis-l1"},
			{Bundle: "image-baseline", Name: "registries", Value: []any{"registry.example", "mirror.example"},
				Default: []any{"registry.example", "docker.io", "quay.io", "ghcr.io", "gcr.io", "public.ecr.aws", "registry.k8s.io", "mcr.microsoft.com"}, Overlay: "acme-cis-l1"},
		},
	}
	return r
}
