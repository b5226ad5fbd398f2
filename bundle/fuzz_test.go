package bundle

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
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

var fuzzStack sync.Once

// FuzzLoadHCLFunctions loads bundles whose HCL nests and calls functions,
// over a text file file() reads: nothing may crash, overflow a small
// stack (64 MiB: the fuzz worker dies, and the fuzzer reports it), or
// produce more text than the function budget allows.
func FuzzLoadHCLFunctions(f *testing.F) {
	for _, s := range []string{
		`bundle "b" { description = format("%1000000000s", 1) }`,
		`bundle "b" { description = replace(replace(replace(file("t.txt"), "a", "aa"), "a", "aa"), "a", "aa") }`,
		`bundle "b" { description = join(",", split("a", file("t.txt")), split("", file("t.txt"))) }`,
		`bundle "b" { description = "${upper(file("t.txt"))}${lower(file("t.txt"))}${trimspace(file("t.txt"))}" }`,
		`bundle "b" { description = format("%[2]*.*s %q %v %#v %d", "x", {a = [1, "b"]}, "1e300000000", 3) }`,
		`bundle "b" { description = ((((((((("x"))))))))) }`,
		`bundle "b" { description = "${"${"${"x"}"}"}%{if true}y%{endif}" }`,
		`bundle "b" { description = [for x in split(",", file("t.txt")) : x][0] }`,
		`bundle "b" { description = 1e300000000 * 1 }`,
		"bundle \"b\" {\n  description = <<EOT\n${file(\"t.txt\")}\nEOT\n}\n",
	} {
		f.Add(s, "a,b,c\n")
	}
	f.Fuzz(func(t *testing.T, hclSrc, text string) {
		fuzzStack.Do(func() { debug.SetMaxStack(64 << 20) })
		fsys := fstest.MapFS{
			"bundle.hcl": {Data: []byte(hclSrc)},
			"t.txt":      {Data: []byte(strings.Repeat(text, 1+(64<<10)/(len(text)+1)))},
		}
		b, _ := testLoadFS(fsys, "fuzz")
		if b == nil || b.Files == nil {
			t.Fatal("no bundle or files")
		}
		n := len(b.Description)
		for _, p := range b.Policies {
			n += len(p.Title) + len(p.Description) + len(p.Remediation)
		}
		if n > maxFileSize+len(hclSrc) {
			t.Fatalf("the bundle holds %d bytes of text", n)
		}
	})
}
