package bundle

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLoadFS decodes arbitrary HCL, and Rego inline or beside it, as a
// bundle: it must never panic or hang, and always return the files to
// render its diagnostics with. The corpus starts from testdata.
func FuzzLoadFS(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.hcl")
	more, _ := filepath.Glob("testdata/*/*/*.hcl")
	for _, p := range append(seeds, more...) {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, []byte("package p\n\ndeny contains 1 if true\n"))
	}
	f.Fuzz(func(t *testing.T, hclSrc, regoSrc []byte) {
		fsys := fstest.MapFS{
			"bundle.hcl":      {Data: hclSrc},
			"ok.rego":         {Data: regoSrc},
			"other.rego":      {Data: []byte("package support.other\n")},
			"data/known.json": {Data: []byte(`{"a": 1}`)},
		}
		b, diags := testLoadFS(fsys, "fuzz")
		if b == nil || b.Files == nil {
			t.Fatal("no bundle or files")
		}
		if !diags.HasErrors() {
			for _, p := range b.Policies {
				if p.Module == nil || p.Module.Parsed == nil || p.Package == nil {
					t.Fatalf("policy %q without a module", p.ID)
				}
			}
		}
	})
}
