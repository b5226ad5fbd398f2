package network

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/engine/enginetest"
)

// bundleDir is the rogue-hosts bundle that judges this package's documents.
const bundleDir = "../../policies/rogue-hosts"

// rogueModules parses the bundle's Rego files, tests left out, with OPA v1
// syntax.
func rogueModules(t *testing.T) map[string]*ast.Module {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(bundleDir, "rego", "*.rego"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Rego files in %s: %v", bundleDir, err)
	}
	mods := map[string]*ast.Module{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
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

// TestRogueHostsRego runs the bundle's Rego tests as `assay test` does.
func TestRogueHostsRego(t *testing.T) {
	enginetest.RunBundleTests(t, &bundle.Loader{Collectors: collector.NewRegistry(InterfacesType(), NeighborsType())}, bundleDir, 5)
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
	for _, m := range rogueModules(t) {
		opts = append(opts, rego.ParsedModule(m))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		for _, v := range r.Expressions[0].Value.([]any) {
			if obj, ok := v.(map[string]any); ok { // fleet findings name their target
				v = obj["msg"]
			}
			out = append(out, v.(string))
		}
	}
	sort.Strings(out)
	return out
}
