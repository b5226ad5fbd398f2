package mig

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

const example = "../../examples/mig/authorized_keys.json"

// rec is an Emitter; collectors emit from several goroutines.
type rec struct {
	mu   sync.Mutex
	docs []document.Document
}

func (r *rec) Emit(d document.Document) { r.mu.Lock(); r.docs = append(r.docs, d); r.mu.Unlock() }
func (r *rec) Skip(string, error)       {}

// decodeBundle parses the generated bundle.hcl and builds each collect block
// with the registered file factory (what bundle will do).
func decodeBundle(t *testing.T, b *Bundle) (map[string]collector.Collector, map[string]string) {
	return decodeBundleB(t, b)
}

func decodeBundleB(t testing.TB, b *Bundle) (map[string]collector.Collector, map[string]string) {
	t.Helper()
	cols := map[string]collector.Collector{}
	regos := map[string]string{}
	k := file.Type()
	for _, hclName := range slices.Sorted(maps.Keys(b.Files)) {
		if strings.HasSuffix(hclName, ".hcl") {
			decodeFile(t, b, hclName, k, cols, regos)
		}
	}
	return cols, regos
}

func decodeFile(t testing.TB, b *Bundle, hclName string, k collector.Type, cols map[string]collector.Collector, regos map[string]string) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL(b.Files[hclName], hclName)
	if diags.HasErrors() {
		t.Fatalf("generated HCL: %v\n%s", diags, b.Files[hclName])
	}
	content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "bundle", LabelNames: []string{"name"}},
		{Type: "collect", LabelNames: []string{"kind", "name"}},
		{Type: "policy", LabelNames: []string{"id"}},
	}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	parsed := map[string]bool{}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "collect":
			c, diags := k.New(blk.Body, nil)
			if diags.HasErrors() {
				t.Fatalf("collect %s: %v", blk.Labels[1], diags)
			}
			cols[blk.Labels[1]] = c
		case "policy":
			attrs, _ := blk.Body.JustAttributes()
			call := string(attrs["rego"].Expr.Range().SliceBytes(b.Files[hclName]))
			name := strings.TrimSuffix(strings.TrimPrefix(call, `file("`), `")`)
			src, ok := b.Files[name]
			if !ok {
				t.Fatalf("policy %s: rego %s not generated", blk.Labels[0], call)
			}
			if !parsed[name] { // once: every policy shares the module
				if _, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1}); err != nil {
					t.Fatalf("generated rego: %v", err)
				}
				parsed[name] = true
			}
			regos[blk.Labels[0]] = string(src)
		}
	}
}

func TestConvertExampleAndRun(t *testing.T) {
	action, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Convert(action, "authorized-keys", PerSearch)
	if err != nil {
		t.Fatal(err)
	}
	cols, regos := decodeBundle(t, b)
	if len(cols) != 3 || len(regos) != 3 {
		t.Fatalf("%d collectors, %d policies", len(cols), len(regos))
	}

	root := t.TempDir()
	files := map[string]string{
		"home/alice/.ssh/authorized_keys": "# alice\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ5Yk1PZEw0d2pWcUZyN0h4dTJOb3lTbVZhQ0xqZ0Q alice@laptop\n",
		"home/bob/.ssh/authorized_keys":   "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDBobsApprovedRsaKeyMaterial bob@desk\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogue mallory@evil\n",
		"root/.ssh/authorized_keys":       "",
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o700)
		if err := os.WriteFile(full, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var findings []string
	for id, c := range cols {
		r := &rec{}
		if err := c.Collect(context.Background(), collector.Env{Target: tgt, Name: id}, r); err != nil {
			t.Fatal(err)
		}
		pq, err := rego.New(rego.Query("data."+PackageOf("authorized-keys")+".deny"), rego.Module(id+".rego", regos[id])).PrepareForEval(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range r.docs {
			rs, err := pq.Eval(context.Background(), rego.EvalInput(map[string]any(d)))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rs[0].Expressions[0].Value.([]any) {
				m := f.(map[string]any)
				findings = append(findings, m["path"].(string)+":"+m["line"].(interface{ String() string }).String())
			}
		}
	}
	if strings.Join(findings, ",") != "/home/bob/.ssh/authorized_keys:2" {
		t.Errorf("findings %v: want bob's rogue key on line 2 only (the empty /root one is not a rogue key)", findings)
	}
}

func TestGeneratedBundleLoads(t *testing.T) {
	_, dir := convertDir(t, readExample(t), "authorized-keys-mig", PerSearch)
	loaded := loadDir(t, dir)
	if len(loaded.Collects) != 3 || len(loaded.Policies) != 3 {
		t.Errorf("%d collects, %d policies; want 3 and 3", len(loaded.Collects), len(loaded.Policies))
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"not json", `{`, "read MIG action"},
		{"no file searches", `{"name":"x","operations":[{"module":"netstat","parameters":{}}]}`, "no file-module searches"},
		{"relative path", `{"operations":[{"module":"file","parameters":{"searches":{"s":{"paths":["etc"]}}}}]}`, "not absolute"},
		{"no paths", `{"operations":[{"module":"file","parameters":{"searches":{"s":{"names":["x"]}}}}]}`, "no paths"},
		{"bad sha2", `{"operations":[{"module":"file","parameters":{"searches":{"s":{"paths":["/"],"sha2":["abc"]}}}}]}`, "length 3"},
		{"bad content regexp", `{"operations":[{"module":"file","parameters":{"searches":{"s":{"paths":["/"],"contents":["(("]}}}}]}`, "regular expression"},
		{"bad name regexp", `{"operations":[{"module":"file","parameters":{"searches":{"s":{"paths":["/"],"names":["![z-a]"]}}}}]}`, "regular expression"},
		{"syntax version", `{"syntaxversion":1,"operations":[]}`, "syntax version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert([]byte(tt.json), "b", PerSearch)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestIdentifiersAndOptions(t *testing.T) {
	b, err := Convert([]byte(`{"operations":[{"module":"file","parameters":{"searches":{
	  "1st search": {"paths":["/a*b"], "sha2":["`+strings.Repeat("A", 64)+`"], "options":{"matchlimit":10, "returnsha256": true}},
	  "1st_search": {"paths":["/"], "names":["x"]}}}}]}`), "b", PerSearch)
	if err != nil {
		t.Fatal(err)
	}
	hclText := string(b.Files["bundle.hcl"])
	for _, want := range []string{`collect "file" "s_1st_search"`, `collect "file" "s_1st_search_2"`, `paths    = ["/a\\*b"]`, `matchany = true`, `sha256   = ["` + strings.Repeat("a", 64) + `"]`, `hashes   = ["sha256"]`} {
		if !strings.Contains(hclText, want) {
			t.Errorf("missing %s in\n%s", want, hclText)
		}
	}
	if len(b.Notes) != 1 || !strings.Contains(b.Notes[0], "matchlimit") {
		t.Errorf("notes %v", b.Notes)
	}
	decodeBundle(t, b)
}

// TestConvertShape: an investigation becomes one collect block and one small
// policy per search, all policies on one generated module whose package is
// the bundle's, naming each search by its MIG label; two imported
// investigations load together.
func TestConvertShape(t *testing.T) {
	action := []byte(`{"name":"odd \"labels\"","operations":[{"module":"file","parameters":{"searches":{
	  "1st search": {"paths":["/a"], "names":["x"]},
	  "café \"quoted\"": {"paths":["/b"], "names":["y"]},
	  "plain": {"paths":["/c"], "names":["z"]}}}}]}`)
	b, err := Convert(action, "my-inv", PerSearch)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range b.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"bundle.hcl", RegoFile}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if PackageOf("my-inv") != "assay.mig.my_inv" {
		t.Errorf("package %q", PackageOf("my-inv"))
	}
	mod, err := ast.ParseModuleWithOpts(RegoFile, string(b.Files[RegoFile]), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatalf("generated rego: %v\n%s", err, b.Files[RegoFile])
	}
	if got := mod.Package.Path.String(); got != "data.assay.mig.my_inv" {
		t.Errorf("module package %s", got)
	}

	dir := filepath.Join(t.TempDir(), "inv")
	if err := b.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	loaded := loadDir(t, dir)
	if len(loaded.Modules) != 1 || len(loaded.Policies) != 3 || len(loaded.Collects) != 3 {
		t.Fatalf("%d modules, %d policies, %d collects; want 1, 3, 3", len(loaded.Modules), len(loaded.Policies), len(loaded.Collects))
	}
	labels := map[string]string{}
	for _, p := range loaded.Policies {
		if p.Module != loaded.Modules[0] {
			t.Errorf("policy %s has module %s", p.ID, p.Module.Name)
		}
		if diff := cmp.Diff([]string{"file." + p.ID}, p.Inputs); diff != "" {
			t.Errorf("policy %s inputs (-want +got):\n%s", p.ID, diff)
		}
		// The label each search's documents are reported under.
		rs, err := rego.New(rego.Query("data.assay.mig.my_inv.search"), rego.Module(RegoFile, string(b.Files[RegoFile])),
			rego.Input(map[string]any{"collector": p.ID})).Eval(context.Background())
		if err != nil || len(rs) != 1 {
			t.Fatalf("search label of %s: %v %v", p.ID, rs, err)
		}
		labels[p.ID] = rs[0].Expressions[0].Value.(string)
	}
	want := map[string]string{"s_1st_search": "1st search", "caf_quoted": `café "quoted"`, "plain": "plain"}
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}

	// A second investigation, imported under another name, runs beside it.
	_, dir2 := convertDir(t, action, "other", PerSearch)
	if _, diags := fileLoader.LoadAll(context.Background(), []string{dir, dir2}); diags.HasErrors() {
		t.Errorf("two imported investigations conflict: %v", diags)
	}
}

// TestConvertSplitsFiles: a large investigation is written SearchesPerFile
// searches per HCL file, and loads as one bundle.
func TestConvertSplitsFiles(t *testing.T) {
	n := 2*SearchesPerFile + 7
	b, dir := convertDir(t, actionN(n), "big", PerSearch)
	if diff := cmp.Diff([]string{"bundle.hcl", RegoFile, "searches-0002.hcl", "searches-0003.hcl"}, slices.Sorted(maps.Keys(b.Files))); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	loaded := loadDir(t, dir)
	if len(loaded.Collects) != n || len(loaded.Policies) != n || len(loaded.Modules) != 1 || loaded.Name != "big" {
		t.Errorf("bundle %q: %d collects, %d policies, %d modules; want %d, %d, 1", loaded.Name, len(loaded.Collects), len(loaded.Policies), len(loaded.Modules), n, n)
	}
	cols, _ := decodeBundle(t, b)
	if len(cols) != n {
		t.Errorf("%d collect blocks decoded, want %d", len(cols), n)
	}
}
