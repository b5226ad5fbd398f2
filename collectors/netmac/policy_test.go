package netmac

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// bundleDir is the rogue-hosts bundle that judges this package's documents.
const bundleDir = "../../policies/rogue-hosts"

// rogueModules parses every Rego file of the bundle (tests included when
// tests is set) with OPA v1 syntax.
func rogueModules(t *testing.T, tests bool) map[string]*ast.Module {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(bundleDir, "rego", "*.rego"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Rego files in %s: %v", bundleDir, err)
	}
	mods := map[string]*ast.Module{}
	for _, f := range files {
		if !tests && strings.HasSuffix(f, "_test.rego") {
			continue
		}
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

// knownMACs reads the bundle's data file, as the bundle loader exposes it
// at data.known_macs.
func knownMACs(t *testing.T) []any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundleDir, "known_macs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v []any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("known_macs.json must be a JSON list of MAC addresses: %v", err)
	}
	return v
}

// TestRogueHostsRego runs the bundle's Rego unit tests with OPA's tester.
func TestRogueHostsRego(t *testing.T) {
	store := inmem.NewFromObject(map[string]any{"known_macs": knownMACs(t)})
	ch, err := tester.NewRunner().SetStore(store).RaiseBuiltinErrors(true).SetModules(rogueModules(t, true)).RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		if r.Error != nil || !r.Pass() {
			t.Errorf("%s.%s: %v", r.Package, r.Name, r.Error)
		}
	}
	if n < 5 {
		t.Fatalf("ran %d Rego tests; the bundle has more", n)
	}
}

// denyOf evaluates one rogue-hosts policy package's deny set.
func denyOf(t *testing.T, pkg string, input any, known []string) []string {
	t.Helper()
	opts := []func(*rego.Rego){
		rego.Query("data.assay.rogue_hosts." + pkg + ".deny"),
		rego.Input(input),
		rego.Store(inmem.NewFromObject(map[string]any{"known_macs": known})),
		rego.StrictBuiltinErrors(true),
	}
	for _, m := range rogueModules(t, false) {
		opts = append(opts, rego.ParsedModule(m))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		for _, v := range r.Expressions[0].Value.([]any) {
			out = append(out, v.(string))
		}
	}
	sort.Strings(out)
	return out
}
