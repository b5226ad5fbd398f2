package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/internal/golden"
)

// testCollector is the collector of the fake kind "testkind": the real
// collectors live in their own packages, built in parallel with this one.
type testCollector struct {
	Path    string `hcl:"path"`
	Pattern string `hcl:"pattern,optional"`
}

func (testCollector) Collect(context.Context, collector.Env, collector.Emitter) error { return nil }

// testKind is the fake "testkind" collector type.
func testKind() collector.Type {
	return collector.Type{
		Name:          "testkind",
		DocumentKinds: []string{"testkind"},
		Help:          "a fake collector for the bundle tests",
		New: func(body hcl.Body, ctx *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
			content, diags := body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
				{Name: "path", Required: true}, {Name: "pattern"},
			}})
			c := &testCollector{}
			diags = append(diags, decodeString(content.Attributes["path"], ctx, &c.Path)...)
			if attr := content.Attributes["pattern"]; attr != nil {
				moreDiags := decodeString(attr, ctx, &c.Pattern)
				diags = append(diags, moreDiags...)
				if _, err := regexp.Compile(c.Pattern); err != nil && !moreDiags.HasErrors() {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Invalid pattern", Detail: err.Error(),
						Subject: attr.Expr.Range().Ptr(),
					})
				}
			}
			return c, diags
		},
	}
}

// testLoader loads the test bundles: the fake collector type and the fake
// live data kind, nothing else, so that "Known kinds" diagnostics are
// stable.
var testLoader = &Loader{Collectors: collector.NewRegistry(testKind()), DataKinds: NewDataKinds(testLiveKind())}

func testLoad(ctx context.Context, source string) (*Bundle, hcl.Diagnostics) {
	return testLoader.Load(ctx, source)
}

func testLoadFS(fsys fs.FS, displayRoot string) (*Bundle, hcl.Diagnostics) {
	return testLoader.LoadFS(context.Background(), fsys, displayRoot)
}

func testLoadAll(ctx context.Context, sources []string) ([]*Bundle, hcl.Diagnostics) {
	return testLoader.LoadAll(ctx, sources)
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
			b, diags := testLoadFS(caseFS(t, name), "testdata")
			if !diags.HasErrors() {
				t.Errorf("no error diagnostics")
			}
			if b == nil || b.Files == nil {
				t.Fatal("Load returned no files to render diagnostics with")
			}
			golden.File(t, file+".golden", []byte(render(t, b.Files, diags)))
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
			b, diags := testLoad(context.Background(), dir)
			if len(diags) == 0 {
				t.Errorf("no diagnostics")
			}
			golden.File(t, dir+".golden", []byte(render(t, b.Files, diags)))
		})
	}
}

// policySummary is what a test compares of a Policy: its values, with the
// module by name.
type policySummary struct {
	ID, Title, Description string
	Severity               report.Severity
	Enforcement            report.Enforcement
	Controls               []string
	Remediation            string
	Inputs                 []string
	Mode                   Mode
	Package, Module        string
	Decl                   string
}

func summarize(b *Bundle) []policySummary {
	var out []policySummary
	for _, p := range b.Policies {
		out = append(out, policySummary{
			ID: p.ID, Title: p.Title, Description: p.Description, Severity: p.Severity,
			Enforcement: p.Enforcement, Controls: p.Controls, Remediation: p.Remediation,
			Inputs: p.Inputs, Mode: p.Mode, Package: p.Package.String(), Module: p.Module.Name,
			Decl: fmt.Sprintf("%s:%d", p.DeclRange.Filename, p.DeclRange.Start.Line),
		})
	}
	return out
}

func moduleNames(ms []*Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func sshPolicies(root string) []policySummary {
	return []policySummary{{
		ID: "sshd-password-auth", Title: "Password authentication is disabled",
		// HCL wins over METADATA (custom.severity: low, another title).
		Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.12"},
		Remediation: "Set `PasswordAuthentication no` in sshd_config.", Inputs: []string{"testkind.main"},
		Mode: PerDocument, Package: "data.assay.ssh.password_auth", Module: root + "/rego/password_auth.rego",
		Decl: root + "/bundle.hcl:14",
	}, {
		// Everything the HCL leaves out comes from METADATA.
		ID: "sshd-root-login", Title: "Root cannot log in with a password",
		Description: "PermitRootLogin must be no or prohibit-password.",
		Severity:    report.SeverityCritical, Enforcement: report.Mandatory,
		Controls: []string{"CIS-5.2.10", "STIG-V-238218"}, Remediation: "Set `PermitRootLogin no`.",
		Inputs: []string{"testkind.main"}, Mode: PerDocument, Package: "data.assay.ssh.root_login",
		Module: root + "/rego/root_login.rego", Decl: root + "/bundle.hcl:25",
	}, {
		ID: "known-keys", Title: "known-keys", Severity: report.SeverityMedium, Enforcement: report.Advisory,
		Inputs: []string{"testkind.keys", "testkind.main"}, Mode: Aggregate,
		Package: "data.assay.ssh.known_keys", Module: root + "/bundle.hcl#policy.known-keys",
		Decl: root + "/bundle.hcl:30",
	}}
}

func checkSSH(t *testing.T, b *Bundle, root string) {
	t.Helper()
	if b.Name != "ssh-baseline" || b.Version != "1.0.0" || b.Description != "OpenSSH server hardening" || b.Implicit {
		t.Errorf("bundle header = %q %q %q implicit=%v", b.Name, b.Version, b.Description, b.Implicit)
	}
	if diff := cmp.Diff(sshPolicies(root), summarize(b)); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	var collects []string
	for _, c := range b.Collects {
		collects = append(collects, c.ID()+"="+c.Collector.(*testCollector).Path)
	}
	if diff := cmp.Diff([]string{"testkind.main=/etc/ssh/sshd_config", "testkind.keys=/root/.ssh/authorized_keys"}, collects); diff != "" {
		t.Errorf("collects (-want +got):\n%s", diff)
	}
	wantData := map[string]any{
		// data "file" "extra" claims data/extra.json: no data.extra twice.
		"extra":       map[string]any{"ciphers": []any{"aes256-gcm@openssh.com"}, "level": json.Number("2.5")},
		"known_hosts": map[string]any{"allowed": []any{"/root/.ssh/authorized_keys"}, "max_keys": json.Number("3")},
	}
	if diff := cmp.Diff(wantData, b.Data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	wantModules := []string{root + "/lib/util.rego", root + "/rego/password_auth.rego", root + "/rego/root_login.rego", root + "/bundle.hcl#policy.known-keys"}
	if diff := cmp.Diff(wantModules, moduleNames(b.Modules)); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{root + "/rego/root_login_test.rego"}, moduleNames(b.Tests)); diff != "" {
		t.Errorf("tests (-want +got):\n%s", diff)
	}
	// Every file read is there to render diagnostics with.
	for _, f := range []string{"bundle.hcl", "rego/password_auth.rego", "data/extra.json", "data/known_hosts.yaml"} {
		if b.Files[root+"/"+f] == nil {
			t.Errorf("Files lacks %s", f)
		}
	}
}

func TestLoadGood(t *testing.T) {
	b, diags := testLoad(context.Background(), "testdata/good/ssh")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	checkSSH(t, b, "testdata/good/ssh")
}

// TestLoadFS loads the same bundle from an fs.FS, as the embedded built-in
// bundles are.
func TestLoadFS(t *testing.T) {
	b, diags := testLoadFS(os.DirFS("testdata/good/ssh"), "policies/ssh")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	checkSSH(t, b, "policies/ssh")
}

// TestInlineRows checks that an inline module's rows are the HCL file's
// lines, so findings and compile errors point into the HCL file.
func TestInlineRows(t *testing.T) {
	b, diags := testLoad(context.Background(), "testdata/good/ssh")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := b.Policies[2].Module
	if !m.Inline || m.Parsed.Package.Location.Row != 35 {
		t.Errorf("inline package at row %d, want 35 (the HCL line)", m.Parsed.Package.Location.Row)
	}
	if got := m.Parsed.Rules[0].Location.Row; got != 37 {
		t.Errorf("inline rule at row %d, want 37", got)
	}
}

func TestLoadImplicit(t *testing.T) {
	b, diags := testLoad(context.Background(), "testdata/good/implicit")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	if !b.Implicit || b.Name != "implicit" {
		t.Errorf("Implicit = %v, Name = %q", b.Implicit, b.Name)
	}
	root := "testdata/good/implicit"
	want := []policySummary{{
		ID: "main", Title: "main", Severity: report.SeverityMedium, Enforcement: report.Mandatory,
		Mode: PerDocument, Package: "data.main", Module: root + "/main.rego", Decl: root + "/main.rego:1",
	}, {
		ID: "k8s.labels", Title: "Every resource has an owner label", Severity: report.SeverityLow,
		Enforcement: report.Mandatory, Mode: PerDocument, Package: "data.k8s.labels",
		Module: root + "/sub/labels.rego", Decl: root + "/sub/labels.rego:5",
	}}
	if diff := cmp.Diff(want, summarize(b)); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	// v0 modules keep their version; v1 ones theirs.
	versions := map[string]ast.RegoVersion{}
	for _, m := range append(b.Modules, b.Tests...) {
		versions[strings.TrimPrefix(m.Name, root+"/")] = m.Parsed.RegoVersionSpan().Min()
	}
	wantVersions := map[string]ast.RegoVersion{
		"main.rego": ast.RegoV0, "main_test.rego": ast.RegoV1, "sub/labels.rego": ast.RegoV1, "sub/lib.rego": ast.RegoV1,
	}
	if diff := cmp.Diff(wantVersions, versions); diff != "" {
		t.Errorf("module versions (-want +got):\n%s", diff)
	}
	// OPA compiles v0 and v1 modules together.
	c := ast.NewCompiler()
	mods := map[string]*ast.Module{}
	for _, m := range append(b.Modules, b.Tests...) {
		mods[m.Name] = m.Parsed
	}
	if c.Compile(mods); c.Failed() {
		t.Errorf("compile: %v", c.Errors)
	}
}

// TestRegoDiagnostics maps a compile error of inline Rego, indented in a
// <<-EOT heredoc, to the HCL file's line and column.
func TestRegoDiagnostics(t *testing.T) {
	src := "policy \"p\" {\n  rego = <<-EOT\n    package x\n\n    deny contains msg if {\n      msg := undefined_thing\n    }\n  EOT\n}\n"
	b, diags := testLoadFS(fstest.MapFS{"b.hcl": {Data: []byte(src)}}, "bun")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := ast.NewCompiler()
	c.Compile(map[string]*ast.Module{b.Modules[0].Name: b.Modules[0].Parsed})
	if !c.Failed() {
		t.Fatal("compile did not fail")
	}
	diags = RegoDiagnostics(c.Errors, b)
	if len(diags) == 0 || diags[0].Subject == nil {
		t.Fatalf("diagnostics = %v", diags)
	}
	got := diags[0].Subject
	// OPA locates the unsafe expression; its column counts the heredoc
	// indentation that <<-EOT stripped.
	if got.Filename != "bun/b.hcl" || got.Start.Line != 6 || got.Start.Column != 7 {
		t.Errorf("subject = %s, want bun/b.hcl:6,7", got)
	}
	if text := src[got.Start.Byte:got.End.Byte]; text != "msg := undefined_thing" {
		t.Errorf("subject bytes = %q", text)
	}
	t.Log(render(t, Files(b), diags))
}

// TestInlineParseColumns checks parse error columns in heredocs.
func TestInlineParseColumns(t *testing.T) {
	b, diags := testLoadFS(caseFS(t, "rego_heredoc.bad.hcl"), "testdata")
	_ = b
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d,%d", d.Subject.Start.Line, d.Subject.Start.Column))
	}
	// "}" sits at column 5 of line 10 (<<-EOT, indented) and column 1 of
	// line 20 (<<EOT).
	if diff := cmp.Diff([]string{"10,5", "20,1"}, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

func TestLoadAllConflicts(t *testing.T) {
	bundles, diags := testLoadAll(context.Background(), []string{"testdata/conflict/a", "testdata/conflict/b"})
	if len(bundles) != 2 {
		t.Fatalf("got %d bundles", len(bundles))
	}
	golden.File(t, "testdata/conflict.golden", []byte(render(t, Files(bundles...), diags)))
	// One bundle alone is fine.
	if _, diags := testLoadAll(context.Background(), []string{"testdata/conflict/a"}); len(diags) > 0 {
		t.Errorf("one bundle: %v", diags)
	}
}

func TestLoadMissing(t *testing.T) {
	for _, src := range []string{"testdata/nope", "testdata/ok.rego", "testdata/nope.tar.gz"} {
		b, diags := testLoad(context.Background(), src)
		if !diags.HasErrors() || b == nil || b.Files == nil {
			t.Errorf("%s: diags=%v bundle=%v", src, diags, b)
		}
	}
}

// TestSymlinkEscape: a directory bundle's symlinks cannot reach outside it,
// through file() or through the walk.
func TestSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.rego")
	if err := os.WriteFile(secret, []byte("package secret\n\ndeny contains \"TOPSECRET\" if true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bundle.hcl", "policy \"p\" {\n  rego = file(\"abs.rego\")\n}\n\npolicy \"q\" {\n  rego = file(\"rel.rego\")\n}\n")
	if err := os.Symlink(secret, filepath.Join(dir, "abs.rego")); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, secret)
	if err := os.Symlink(rel, filepath.Join(dir, "rel.rego")); err != nil {
		t.Fatal(err)
	}
	b, diags := testLoad(context.Background(), dir)
	if !diags.HasErrors() {
		t.Fatal("symlinks out of the bundle were followed")
	}
	for name, f := range b.Files {
		if bytes.Contains(f.Bytes, []byte("TOPSECRET")) {
			t.Errorf("%s: read the file outside the bundle", name)
		}
	}
	if len(b.Policies) != 0 {
		t.Errorf("policies = %v", summarize(b))
	}
	t.Log(render(t, b.Files, diags))
}

// sharedBundle is a bundle whose policies share one Rego package, each
// taking the documents of its own collect block, as assay mig import
// generates them.
func sharedBundle(name string) fstest.MapFS {
	return fstest.MapFS{
		"bundle.hcl": {Data: []byte(`bundle "` + name + `" {}

collect "testkind" "a" {
  path = "/a"
}

collect "testkind" "b" {
  path = "/b"
}

collect "testkind" "c" {
  path = "/c"
}

policy "pa" {
  input = [collect.testkind.a]
  rego  = file("shared.rego")
}

policy "pbc" {
  input = [collect.testkind.b, collect.testkind.c]
  rego  = file("shared.rego")
}
`)},
		"shared.rego": {Data: []byte("package support.shared\n\ndeny contains input.path if input.bad\n")},
	}
}

// TestSharedPackage: policies with explicit, disjoint inputs may share a
// package (and its one module); bundles still may not share one with
// each other.
func TestSharedPackage(t *testing.T) {
	b, diags := testLoadFS(sharedBundle("one"), "one")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	if len(b.Policies) != 2 || len(b.Modules) != 1 {
		t.Fatalf("got %d policies, %d modules; want 2 sharing 1", len(b.Policies), len(b.Modules))
	}
	for _, p := range b.Policies {
		if p.Module != b.Modules[0] || p.Package.String() != "data.support.shared" {
			t.Errorf("policy %s: module %s, package %s", p.ID, p.Module.Name, p.Package)
		}
	}
	if diff := cmp.Diff([]string{"testkind.b", "testkind.c"}, b.Policies[1].Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}

	other, diags := testLoadFS(sharedBundle("two"), "two")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(t, other.Files, diags))
	}
	got := render(t, Files(b, other), Conflicts([]*Bundle{b, other}))
	if !strings.Contains(got, "Two policies share a Rego package") || !strings.Contains(got, `Policy "pa" of bundle two and policy "pa" of bundle one`) {
		t.Errorf("two bundles on one package: got\n%s", got)
	}
}

// TestControlsForms: controls is a list of strings or one string, as
// METADATA custom.controls is; anything else is refused.
func TestControlsForms(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
		err  string
	}{
		{`"CIS-5.2.12"`, []string{"CIS-5.2.12"}, ""},
		{`["CIS-5.2.12", "devsec-sshd-27"]`, []string{"CIS-5.2.12", "devsec-sshd-27"}, ""},
		{`[]`, []string{}, ""},
		{`{ cis = "5.2.1" }`, nil, "controls is a string or a list of strings"},
		{`42`, nil, "controls is a string or a list of strings"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			src := "policy \"p\" {\n  controls = " + tc.expr + "\n  rego     = \"package p\\ndeny contains \\\"x\\\" if false\"\n}\n"
			b, diags := testLoadFS(fstest.MapFS{"bundle.hcl": {Data: []byte(src)}}, "b")
			if tc.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.err) {
					t.Fatalf("diagnostics %v, want %q", diags, tc.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
			}
			if got := b.Policies[0].Controls; !cmp.Equal(got, tc.want) {
				t.Errorf("controls = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFileOfDataFile: a data file's entry in Files is cut to its first
// line once it has parsed; file() of that data file, read after, still
// gets all of it.
func TestFileOfDataFile(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"bundle.hcl":      "bundle \"b\" {\n  description = file(\"data/notes.yaml\")\n}\n\npolicy \"p\" {\n  description = file(\"data/notes.yaml\")\n  rego = \"package p\\n\\ndeny contains \\\"x\\\" if false\\n\"\n}\n",
		"data/notes.yaml": "line one\nline two\nline three\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, diags := testLoad(context.Background(), dir)
	if diags.HasErrors() {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	want := "line one\nline two\nline three\n"
	if len(b.Policies) != 1 || b.Policies[0].Description != want {
		t.Fatalf("policy description = %q, want the whole file %q", summarize(b), want)
	}
	if b.Data["notes"] == nil {
		t.Errorf("data.notes missing: %v", b.Data)
	}
}

// TestSkipTests: with Loader.SkipTests the test modules are not read at
// all (one that does not parse is no error), and the policies load as
// without it.
func TestSkipTests(t *testing.T) {
	fsys := fstest.MapFS{
		"bundle.hcl": {Data: []byte(`bundle "b" {}
policy "p" {
  rego = file("rego/p.rego")
}
`)},
		"rego/p.rego":      {Data: []byte("package b.p\n\ndeny contains \"x\" if input.x\n")},
		"rego/p_test.rego": {Data: []byte("package b.p\n\ntest_broken if {\n")},
	}
	_, diags := (&Loader{}).LoadFS(context.Background(), fsys, "b")
	if !diags.HasErrors() {
		t.Fatal("a test module that does not parse loads without SkipTests")
	}
	b, diags := (&Loader{SkipTests: true}).LoadFS(context.Background(), fsys, "b")
	if diags.HasErrors() {
		t.Fatalf("with SkipTests: %v", diags)
	}
	if len(b.Tests) != 0 || len(b.Modules) != 1 || len(b.Policies) != 1 {
		t.Errorf("with SkipTests: %d tests, %d modules, %d policies; want 0, 1, 1", len(b.Tests), len(b.Modules), len(b.Policies))
	}
	if _, read := b.Files["b/rego/p_test.rego"]; read {
		t.Error("with SkipTests the test module was read")
	}
}
