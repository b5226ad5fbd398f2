package engine

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/report"
)

// pol describes a test policy: its metadata and its Rego.
type pol struct {
	id       string
	title    string
	severity report.Severity
	inputs   []string
	mode     bundle.Mode
	rego     string
}

// newBundle builds a bundle the way the loader does, from Rego sources.
func newBundle(t testing.TB, name string, data map[string]any, pols ...pol) *bundle.Bundle {
	t.Helper()
	b := &bundle.Bundle{Name: name, Source: name, Data: data}
	for i, p := range pols {
		filename := name + "/" + p.id + ".rego"
		m := parseModule(t, filename, p.rego)
		b.Modules = append(b.Modules, m)
		mode := p.mode
		if mode == "" {
			mode = bundle.PerDocument
		}
		b.Policies = append(b.Policies, &bundle.Policy{
			ID:          p.id,
			Title:       p.title,
			Severity:    p.severity,
			Enforcement: report.Mandatory,
			Inputs:      p.inputs,
			Mode:        mode,
			Package:     m.Parsed.Package.Path,
			Module:      m,
			DeclRange: hcl.Range{
				Filename: name + "/bundle.hcl",
				Start:    hcl.Pos{Line: 10 * (i + 1), Column: 1},
				End:      hcl.Pos{Line: 10 * (i + 1), Column: 20},
			},
		})
	}
	return b
}

func parseModule(t testing.TB, filename, src string) *bundle.Module {
	t.Helper()
	m, err := ast.ParseModuleWithOpts(filename, src, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatalf("parse %s: %v", filename, err)
	}
	return &bundle.Module{Filename: filename, Source: []byte(src), Parsed: m}
}
