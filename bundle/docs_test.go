package bundle

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/collector"
)

// docFileRE finds the files of docs/bundles.md's complete example: a
// "<!-- file: NAME -->" marker, then a fenced block.
var docFileRE = regexp.MustCompile("(?s)<!-- file: (\\S+) -->\n```[a-z]*\n(.*?)```\n")

// anyBodyType is a stand-in for a real collector type, accepting any body:
// the real types live in packages this one does not import.
func anyBodyType(name string) collector.Type {
	return collector.Type{Name: name, New: func(hcl.Body, *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
		return testCollector{}, nil
	}}
}

// docsLoader knows the collector types the docs' examples name.
var docsLoader = &Loader{Collectors: collector.NewRegistry(testKind(), anyBodyType("file"), anyBodyType("sshd_config"))}

func docExample(t *testing.T) fstest.MapFS {
	t.Helper()
	doc, err := os.ReadFile("../docs/bundles.md")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, m := range docFileRE.FindAllSubmatch(doc, -1) {
		// the example's files are under ssh-baseline/; the page's other
		// file blocks are the bundles of its diagnostics examples
		if name, ok := strings.CutPrefix(string(m[1]), "ssh-baseline/"); ok {
			fsys[name] = &fstest.MapFile{Data: m[2]}
		}
	}
	if len(fsys) < 3 {
		t.Fatalf("found %d example files in docs/bundles.md", len(fsys))
	}
	return fsys
}

// TestDocsExample loads the complete example of docs/bundles.md and
// compiles it, so the reference stays true to the code.
func TestDocsExample(t *testing.T) {
	b, diags := docsLoader.LoadFS(context.Background(), docExample(t), "ssh-baseline")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	got := summarize(b)
	if len(got) != 3 || len(b.Tests) != 1 || len(b.Collects) != 2 || b.Data["approved_keys"] == nil {
		t.Fatalf("loaded %+v, %d tests, %d collects, data %v", got, len(b.Tests), len(b.Collects), b.Data)
	}
	if p := got[1]; p.Title != "Root cannot log in with a password" || p.Controls[0] != "CIS-5.2.10" {
		t.Errorf("METADATA not applied: %+v", p)
	}
	mods := map[string]*ast.Module{}
	for _, m := range append(b.Modules, b.Tests...) {
		mods[m.Name] = m.Parsed
	}
	c := ast.NewCompiler()
	if c.Compile(mods); c.Failed() {
		t.Fatalf("compile:\n%s", render(t, b.Files, RegoDiagnostics(c.Errors, b)))
	}
}
