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
	page := pageOf(t, fsys, "conftest")
	for _, want := range []string{
		"# conftest\n",
		"a directory of Rego with no HCL",
		"| [`main`](#main) | main | medium | mandatory |  |\n",
		"| reads | every document it is given (assay eval files) |\n",
		"| Rego | `data.main` in `main.rego` |\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "## Collectors") || strings.Contains(page, "**Parameters.**") {
		t.Errorf("page lists collectors or parameters it has not:\n%s", page)
	}
}

// pageOf loads the bundle in fsys and writes its page.
func pageOf(t *testing.T, fsys fstest.MapFS, source string) string {
	t.Helper()
	b, diags := (&bundle.Loader{}).LoadFS(context.Background(), fsys, source)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var buf bytes.Buffer
	if err := Write(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
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

// TestParams: a bundle's params get a section of their own, and each
// policy lists those its module reads, by name or as a whole.
func TestParams(t *testing.T) {
	fsys := fstest.MapFS{"bundle.hcl": {Data: []byte(`bundle "tun" {}
param "limit" {
  type        = number
  default     = 4
  description = "highest tries"
}
param "names" {
  type    = list(string)
  default = ["a"]
}
policy "one" {
  rego = <<-EOT
    package tun.one
    deny contains "x" if input.n > data.assay.params.tun.limit
  EOT
}
policy "all" {
  rego = <<-EOT
    package tun.all
    cfg := data.assay.params["tun"]
    deny contains "x" if not input.n in cfg.names
  EOT
}
policy "none" {
  rego = <<-EOT
    package tun.none
    deny contains "x" if input.bad
  EOT
}
policy "var" {
  rego = <<-EOT
    package tun.var
    deny contains "x" if {
      some params
      input.m[params].limit == 1
    }
  EOT
}
`)}}
	page := pageOf(t, fsys, "tun")
	section := func(id string) string {
		i := strings.Index(page, "## "+id+"\n")
		if i < 0 {
			t.Fatalf("no section %s:\n%s", id, page)
		}
		rest := page[i+1:]
		if j := strings.Index(rest, "\n## "); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	limit, names := "| `limit` | number | `4` | highest tries |", "| `names` | list(string) | `[\"a\"]` |  |"
	if s := section("Params"); !strings.Contains(s, limit) || !strings.Contains(s, names) || !strings.Contains(s, `data.assay.params["tun"]`) {
		t.Errorf("Params section:\n%s", s)
	}
	if s := section("one"); !strings.Contains(s, limit) || strings.Contains(s, names) {
		t.Errorf("policy one:\n%s", s)
	}
	if s := section("all"); !strings.Contains(s, limit) || !strings.Contains(s, names) {
		t.Errorf("policy all:\n%s", s)
	}
	// A variable called params is not the params.
	for _, id := range []string{"none", "var"} {
		if s := section(id); strings.Contains(s, "**Parameters.**") {
			t.Errorf("policy %s:\n%s", id, s)
		}
	}
}
