package format

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/internal/golden"
)

// TestFormat formats every testdata file, compares with its .golden, and
// checks that formatting is idempotent.
func TestFormat(t *testing.T) {
	for _, name := range []string{"messy.hcl", "messy.rego", "v0.rego"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join("testdata", name)
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out, err := File(p, src)
			if err != nil {
				t.Fatal(err)
			}
			golden.File(t, p+".golden", out)
			again, err := File(p, out)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Errorf("not idempotent:\n%s", Diff(p, out, again))
			}
		})
	}
}

// TestFormatRegoVersions: a v0 module stays v0; v1 stays v1.
func TestFormatRegoVersions(t *testing.T) {
	out, err := Rego("v0.rego", []byte("package main\ndeny[msg] { msg := \"x\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ast.ParseModuleWithOpts("v0.rego", string(out), ast.ParserOptions{RegoVersion: ast.RegoV0}); err != nil {
		t.Errorf("formatted v0 module no longer parses as v0: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "deny[msg]") {
		t.Errorf("v0 module rewritten:\n%s", out)
	}
}

func TestFormatErrors(t *testing.T) {
	_, err := File("bad.hcl", []byte("policy \"p\" {\n  title = \n"))
	var diags hcl.Diagnostics
	if !errors.As(err, &diags) || diags[0].Subject == nil || diags[0].Subject.Start.Line != 2 {
		t.Errorf("HCL error = %v, want diagnostics at line 2", err)
	}
	_, err = File("bad.rego", []byte("package x\n\ndeny contains msg if {\n"))
	var errs ast.Errors
	if !errors.As(err, &errs) || errs[0].Location.Row == 0 {
		t.Errorf("Rego error = %v", err)
	}
	if out, err := File("notes.txt", []byte(" x ")); err != nil || string(out) != " x " {
		t.Errorf("other files must pass through: %q %v", out, err)
	}
}

func TestDiff(t *testing.T) {
	old := []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n")
	new := []byte("a\nB\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n")
	want := `--- x
+++ x (formatted)
@@ -1,5 +1,5 @@
 a
-b
+B
 c
 d
 e
@@ -7,4 +7,5 @@
 g
 h
 i
-j
+J
+k
`
	if got := string(Diff("x", old, new)); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if Diff("x", old, old) != nil {
		t.Error("equal files gave a diff")
	}
}

func TestFiles(t *testing.T) {
	files, err := Files([]string{"testdata"})
	if err != nil {
		t.Fatal(err)
	}
	want := "testdata/messy.hcl testdata/messy.rego testdata/v0.rego"
	if got := strings.Join(files, " "); got != want {
		t.Errorf("Files = %s, want %s", got, want)
	}
	if _, err := Files([]string{"testdata/nope"}); err == nil {
		t.Error("missing path accepted")
	}
	if _, err := Files([]string{"testdata/messy.hcl.golden"}); err == nil {
		t.Error("non-bundle file accepted")
	}
}

// TestRegoDepth: OPA's formatter takes minutes over brackets nested some
// thousands deep; fmt refuses beyond 256, at the bracket, and ignores
// brackets in strings and comments.
func TestRegoDepth(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + "1" + strings.Repeat("]", n) }
	tests := []struct {
		name, src string
		err       string // "" when it formats
	}{
		{"256", "package p\n\nx := " + deep(256) + "\n", ""},
		{"257", "package p\n\nx := " + deep(257) + "\n", "p.rego:3: rego_parse_error: brackets nested more than 256 levels deep"},
		{"ten thousand", "package p\n\nx := {\"a\": " + deep(10_000) + "}\n", "p.rego:3: rego_parse_error: brackets nested more than 256"},
		{"in strings and comments", "package p\n\n# " + deep(300) + "\nx := \"" + strings.Repeat("(", 300) + "\\\"\"\ny := `" + strings.Repeat("{", 300) + "`\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Rego("p.rego", []byte(tt.src))
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("got %v, want %q", err, tt.err)
			}
		})
	}
}
