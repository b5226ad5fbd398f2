package bundle

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
)

// benchBundle is a bundle of n policies, half in .rego files and half
// inline, each module with METADATA, plus a data file.
func benchBundle(n int) fstest.MapFS {
	fsys := fstest.MapFS{"data/limits.yaml": {Data: []byte("max: 3\nusers: [a, b, c]\n")}}
	var hcl strings.Builder
	hcl.WriteString("bundle \"bench\" {\n  version = \"1\"\n}\n\ncollect \"testkind\" \"main\" {\n  path = \"/etc/x\"\n}\n\n")
	for i := range n {
		module := fmt.Sprintf("# METADATA\n# title: Policy %d\n# custom:\n#   severity: high\npackage bench.p%d\n\ndeny contains msg if {\n\tsome k, v in input.settings\n\tv == \"yes\"\n\tcount(data.limits.users) > data.limits.max\n\tmsg := sprintf(\"%%s is on\", [k])\n}\n", i, i)
		if i%2 == 0 {
			name := fmt.Sprintf("rego/p%d.rego", i)
			fsys[name] = &fstest.MapFile{Data: []byte(module)}
			fmt.Fprintf(&hcl, "policy \"p%d\" {\n  input = [collect.testkind.main]\n  rego  = file(%q)\n}\n\n", i, name)
		} else {
			fmt.Fprintf(&hcl, "policy \"p%d\" {\n  input = [collect.testkind.main]\n  rego  = <<-EOT\n    %s  EOT\n}\n\n", i, strings.ReplaceAll(module, "\n", "\n    "))
		}
	}
	fsys["bundle.hcl"] = &fstest.MapFile{Data: []byte(hcl.String())}
	return fsys
}

// BenchmarkLoad loads a bundle of 50 policies from memory.
func BenchmarkLoad(b *testing.B) {
	fsys := benchBundle(50)
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := testLoadFS(fsys, "bench"); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// BenchmarkParseOnly is the floor under BenchmarkLoad: OPA parsing the same
// 50 modules with annotations, and nothing else.
func BenchmarkParseOnly(b *testing.B) {
	bnd, diags := testLoadFS(benchBundle(50), "bench")
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range bnd.Modules {
			if _, err := ast.ParseModuleWithOpts(m.Filename, string(m.Source), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
