// Package authorizedkeys holds the tests of the built-in authorized-keys
// bundle: its Rego unit tests, run with OPA's tester, and an end-to-end run of
// its collect block on a real tree.
package authorizedkeys

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/engine/enginetest"
	"github.com/assay-dev/assay/targets"
)

func modules(t *testing.T) map[string]*ast.Module {
	t.Helper()
	files, _ := filepath.Glob("rego/*.rego")
	mods := map[string]*ast.Module{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(f, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		mods[f] = m
	}
	return mods
}

// bundleData is the data document the policies see without overlays:
// the bundle's params at their defaults.
func bundleData(t *testing.T) map[string]any {
	t.Helper()
	b, diags := (&bundle.Loader{Collectors: collector.NewRegistry(file.Type())}).Load(context.Background(), ".")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	params, err := b.ParamValues()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"assay": map[string]any{"params": map[string]any{"authorized-keys": params}}}
}

// TestRegoUnitTests runs the bundle's Rego tests as `assay test` does.
func TestRegoUnitTests(t *testing.T) {
	enginetest.RunBundleTests(t, &bundle.Loader{Collectors: collector.NewRegistry(file.Type())}, ".", 15)
}

// rec is an Emitter; collectors emit from several goroutines.
type rec struct {
	mu   sync.Mutex
	docs []document.Document
}

func (r *rec) Emit(d document.Document) { r.mu.Lock(); r.docs = append(r.docs, d); r.mu.Unlock() }
func (r *rec) Skip(string, error)       {}

// TestBundleOnTree runs the bundle's own collect block on a root filesystem
// and judges what it finds with the bundle's Rego.
func TestBundleOnTree(t *testing.T) {
	src, err := os.ReadFile("bundle.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclparse.NewParser().ParseHCL(src, "bundle.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	content, _, diags := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "collect", LabelNames: []string{"kind", "name"}}}})
	if diags.HasErrors() || len(content.Blocks) != 1 {
		t.Fatal(diags)
	}
	c, diags := file.Type().New(content.Blocks[0].Body, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	root := t.TempDir()
	ed := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ5Yk1PZEw0d2pWcUZyN0h4dTJOb3lTbVZhQ0xqZ0Q alice@laptop"
	for p, body := range map[string]string{
		"home/alice/.ssh/authorized_keys": "# alice\n" + ed + "\n",
		"home/bob/.ssh/authorized_keys":   ed + "\nssh-dss AAAAB3NzaC1kc3MAAACBAP bob\n",
		"root/.ssh/authorized_keys":       "",
		"home/bob/notes/authorized_keys":  "junk\n", // depth 2 under /home/bob: examined
	} {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o700)
		if err := os.WriteFile(full, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	r := &rec{}
	if err := c.Collect(context.Background(), collector.Env{Target: tgt, Name: "authorized_keys"}, r); err != nil {
		t.Fatal(err)
	}
	if len(r.docs) != 4 {
		t.Fatalf("%d documents", len(r.docs))
	}
	var opts []func(*rego.Rego)
	for name, m := range modules(t) {
		if !strings.HasSuffix(name, "_test.rego") {
			opts = append(opts, rego.ParsedModule(m))
		}
	}
	opts = append(opts, rego.Query("data.assay.authorized_keys.lines.deny"), rego.Store(inmem.NewFromObject(bundleData(t))))
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range r.docs {
		rs, err := pq.Eval(context.Background(), rego.EvalInput(map[string]any(d)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rs[0].Expressions[0].Value.([]any) {
			m := f.(map[string]any)
			got = append(got, fmt.Sprintf("%s:%v: %s", m["path"], m["line"], m["msg"]))
		}
	}
	want := []string{
		"/home/bob/.ssh/authorized_keys:2: key type ssh-dss is not allowed",
		"/home/bob/notes/authorized_keys:1: the line is neither a comment, a blank line nor a public key",
	}
	if len(got) != len(want) {
		t.Fatalf("findings %q", got)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("missing finding %q in %q", w, got)
		}
	}
}

// TestBundleLoads loads the bundle as assay does.
func TestBundleLoads(t *testing.T) {
	b, diags := (&bundle.Loader{Collectors: collector.NewRegistry(file.Type())}).Load(context.Background(), ".")
	if diags.HasErrors() {
		t.Fatalf("bundle does not load: %v", diags)
	}
	if len(b.Collects) != 1 || len(b.Policies) != 2 || len(b.Tests) < 2 {
		t.Errorf("%d collects, %d policies, %d test modules", len(b.Collects), len(b.Policies), len(b.Tests))
	}
}
