package engine

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/report"
)

// annotationsFor returns the package-scoped `# METADATA` annotations of the
// policy's module. If the loader parsed the module without processing
// annotations, the source is parsed again for them alone.
func annotationsFor(p *bundle.Policy) []*ast.Annotations {
	if p.Module == nil {
		return nil
	}
	var anns []*ast.Annotations
	if p.Module.Parsed != nil {
		anns = p.Module.Parsed.Annotations
	}
	// bytes.Contains: converting Source to a string would copy it once per
	// policy, and thousands of policies may share one large module.
	if len(anns) == 0 && bytes.Contains(p.Module.Source, []byte("METADATA")) {
		opts := ast.ParserOptions{ProcessAnnotation: true}
		if p.Module.Parsed != nil {
			opts.RegoVersion = p.Module.Parsed.RegoVersionSpan().Min()
		}
		if m, err := ast.ParseModuleWithOpts(p.Module.Filename, string(p.Module.Source), opts); err == nil {
			anns = m.Annotations
		}
	}
	var out []*ast.Annotations
	for _, a := range anns {
		if a.Scope == "package" || a.Scope == "subpackages" {
			out = append(out, a)
		}
	}
	return out
}

// applyAnnotations fills the policy metadata the HCL left unset from the
// Rego annotations: title, description, and the custom keys severity,
// enforcement, controls and remediation. HCL always wins; a severity of
// "info" counts as unset, since it is the zero value. For implicit bundles
// (no HCL) the annotations are the only metadata. The loader fills
// policies the same way (bundle.Policy.Refined); this is for policies
// built without it.
func applyAnnotations(m *report.PolicyResult, implicit bool, anns []*ast.Annotations) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range anns {
		if m.Title == "" {
			m.Title = a.Title
		}
		if m.Description == "" {
			m.Description = strings.TrimSpace(a.Description)
		}
		if v, ok := a.Custom["severity"]; ok && (implicit || m.Severity == report.SeverityInfo) {
			s, _ := v.(string)
			sev, err := report.ParseSeverity(s)
			if err != nil {
				diags = append(diags, annotationDiag(a, "custom.severity", err))
			} else {
				m.Severity = sev
			}
		}
		if v, ok := a.Custom["enforcement"]; ok && m.Enforcement == "" {
			s, _ := v.(string)
			enf, err := report.ParseEnforcement(s)
			if err != nil {
				diags = append(diags, annotationDiag(a, "custom.enforcement", err))
			} else {
				m.Enforcement = enf
			}
		}
		if v, ok := a.Custom["remediation"].(string); ok && m.Remediation == "" {
			m.Remediation = v
		}
		if v, ok := a.Custom["controls"].([]any); ok && len(m.Controls) == 0 {
			for _, c := range v {
				if s, ok := c.(string); ok {
					m.Controls = append(m.Controls, s)
				}
			}
		}
	}
	return diags
}

func annotationDiag(a *ast.Annotations, key string, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s in METADATA", key),
		Detail:   err.Error(),
	}
	if loc := a.Location; loc != nil {
		d.Subject = &hcl.Range{
			Filename: loc.File,
			Start:    hcl.Pos{Line: loc.Row, Column: max(loc.Col, 1)},
			End:      hcl.Pos{Line: loc.Row, Column: max(loc.Col, 1) + 1},
		}
	}
	return d
}
