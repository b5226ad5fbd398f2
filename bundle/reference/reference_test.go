package reference

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/assay-dev/assay/bundle"
)

func TestAnchorAndCell(t *testing.T) {
	for _, tc := range []struct{ in, anchor string }{
		{"sshd-password-auth", "sshd-password-auth"},
		{"k8s.labels", "k8slabels"},
		{"CIS:5.2/x_y", "cis52x_y"},
	} {
		if got := anchor(tc.in); got != tc.anchor {
			t.Errorf("anchor(%q) = %q, want %q", tc.in, got, tc.anchor)
		}
	}
	if got := cell("a | b\n  c"); got != `a \| b c` {
		t.Errorf("cell = %q", got)
	}
}

// TestImplicitBundle: a conftest-style directory has no collectors; its
// policies read every document, and the page says so.
func TestImplicitBundle(t *testing.T) {
	fsys := fstest.MapFS{
		"main.rego": {Data: []byte("package main\n\ndeny contains \"x | y\" if input.x\n")},
	}
	b, diags := (&bundle.Loader{}).LoadFS(context.Background(), fsys, "conftest")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var buf bytes.Buffer
	if err := Write(&buf, b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# conftest\n",
		"a directory of Rego with no HCL",
		"| [`main`](#main) | main | medium | mandatory |  |\n",
		"| reads | every document it is given (assay eval files) |\n",
		"| Rego | `data.main` in `main.rego` |\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("page lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "## Collectors") || strings.Contains(buf.String(), "**Parameters.**") {
		t.Errorf("page lists collectors or parameters it has not:\n%s", buf.String())
	}
}

// TestParamTable: parameters, once bundles have them, are listed with
// their defaults ("required" for none).
func TestParamTable(t *testing.T) {
	var buf bytes.Buffer
	paramTable(&buf, []Param{
		{Name: "max_tries", Type: "number", Default: "4", Description: "the most MaxAuthTries allowed"},
		{Name: "groups", Type: "list of strings", Description: "who may log in | always"},
	})
	want := "**Parameters.**\n\n| parameter | type | default | meaning |\n|---|---|---|---|\n" +
		"| `max_tries` | number | `4` | the most MaxAuthTries allowed |\n" +
		"| `groups` | list of strings | required | who may log in \\| always |\n\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
