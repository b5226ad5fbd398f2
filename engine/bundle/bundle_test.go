package bundle

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/collectors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testCollector is the collector of the fake kind "testkind": the real
// collectors live in their own packages, built in parallel with this one.
type testCollector struct {
	Path    string `hcl:"path"`
	Pattern string `hcl:"pattern,optional"`
}

func (testCollector) Collect(context.Context, collectors.Env, collectors.Emitter) error { return nil }

func init() {
	collectors.Register(collectors.Kind{
		Name:          "testkind",
		DocumentKinds: []string{"testkind"},
		Help:          "a fake collector for the bundle tests",
		New: func(body hcl.Body, ctx *hcl.EvalContext) (collectors.Collector, hcl.Diagnostics) {
			content, diags := body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
				{Name: "path", Required: true}, {Name: "pattern"},
			}})
			c := &testCollector{}
			diags = append(diags, decodeString(content.Attributes["path"], ctx, &c.Path)...)
			if attr := content.Attributes["pattern"]; attr != nil {
				moreDiags := decodeString(attr, ctx, &c.Pattern)
				diags = append(diags, moreDiags...)
				if _, err := regexp.Compile(c.Pattern); err == nil || moreDiags.HasErrors() {
				} else {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Invalid pattern", Detail: err.Error(),
						Subject: attr.Expr.Range().Ptr(),
					})
				}
			}
			return c, diags
		},
	})
}

// render is how the CLI shows diagnostics: the text tests compare.
func render(t *testing.T, files map[string]*hcl.File, diags hcl.Diagnostics) string {
	t.Helper()
	var buf bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&buf, files, 0, false)
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("diagnostics differ from %s (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", file, got, want)
	}
}

func TestLoadGoodSmoke(t *testing.T) {
	for _, dir := range []string{"testdata/good/ssh", "testdata/good/implicit"} {
		b, diags := Load(context.Background(), dir)
		t.Logf("%s\n%s", dir, render(t, b.Files, diags))
		for _, p := range b.Policies {
			t.Logf("%+v", *p)
		}
		t.Logf("data %v", b.Data)
		_ = filepath.Join
		_ = strings.Join
	}
}
