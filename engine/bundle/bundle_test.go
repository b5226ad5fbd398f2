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
	"testing/fstest"

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

// caseFS is the bundle of one testdata/*.bad.hcl case: that HCL file and
// the shared Rego and data files beside it, but no other case's HCL.
func caseFS(t *testing.T, hclName string) fstest.MapFS {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || (strings.HasSuffix(name, ".hcl") && name != hclName) || strings.HasSuffix(name, ".golden") {
			continue
		}
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: src, Mode: 0o644}
	}
	return fsys
}

// TestBadHCL loads every testdata/*.bad.hcl as a bundle and compares the
// rendered diagnostics with testdata/*.bad.hcl.golden.
func TestBadHCL(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.bad.hcl")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, file := range cases {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".bad.hcl"), func(t *testing.T) {
			b, diags := LoadFS(caseFS(t, name), "testdata")
			if !diags.HasErrors() {
				t.Errorf("no error diagnostics")
			}
			if b == nil || b.Files == nil {
				t.Fatal("Load returned no files to render diagnostics with")
			}
			golden(t, file+".golden", render(t, b.Files, diags))
		})
	}
}

// TestBadBundles loads every directory of testdata/bad and compares the
// rendered diagnostics with testdata/bad/NAME.golden.
func TestBadBundles(t *testing.T) {
	dirs, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("testdata/bad", d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			b, diags := Load(context.Background(), dir)
			if len(diags) == 0 {
				t.Errorf("no diagnostics")
			}
			golden(t, dir+".golden", render(t, b.Files, diags))
		})
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
