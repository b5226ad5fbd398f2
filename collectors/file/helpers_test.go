package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
)

// parseBlock decodes `collect "file" "t" { BODY }` with the registered
// factory, as the bundle loader will.
func parseBlock(t testing.TB, body string) (collector.Collector, hcl.Diagnostics) {
	t.Helper()
	src := "collect \"file\" \"t\" {\n" + body + "\n}\n"
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "collect", LabelNames: []string{"kind", "name"}}}})
	if diags.HasErrors() {
		t.Fatalf("content: %v", diags)
	}
	return Type().New(content.Blocks[0].Body, nil)
}

func mustCollector(t testing.TB, body string) *Collector {
	t.Helper()
	c, diags := parseBlock(t, body)
	if diags.HasErrors() {
		t.Fatalf("decode: %v", diags)
	}
	return c.(*Collector)
}

type skipRec struct{ Path, Reason string }

// recorder is a fake Emitter.
type recorder struct {
	mu    sync.Mutex
	docs  []document.Document
	skips []skipRec
}

func (r *recorder) Emit(d document.Document) {
	r.mu.Lock()
	r.docs = append(r.docs, d)
	r.mu.Unlock()
}

func (r *recorder) Skip(p string, err error) {
	r.mu.Lock()
	r.skips = append(r.skips, skipRec{p, err.Error()})
	r.mu.Unlock()
}

func (r *recorder) paths() []string {
	var out []string
	for _, d := range r.docs {
		out = append(out, d.Path())
	}
	sort.Strings(out)
	return out
}

func (r *recorder) byPath(p string) document.Document {
	for _, d := range r.docs {
		if d.Path() == p {
			return d
		}
	}
	return nil
}

// collect runs a collector on a Dir target rooted at dir.
func collect(t testing.TB, c collector.Collector, tgt target.Target) *recorder {
	t.Helper()
	rec := &recorder{}
	if err := c.Collect(context.Background(), collector.Env{Target: tgt, Name: "t"}, rec); err != nil {
		t.Fatalf("collect: %v", err)
	}
	return rec
}

func openDir(t testing.TB, dir string) *targets.Dir {
	t.Helper()
	d, err := targets.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// writeTree creates files (path → content) under root.
func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
}
