package layers

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/assay-dev/assay"

// tiers places every package of the module, by path prefix (the longest
// match wins). A package may import packages of lower tiers, and packages
// of its own area (the same first path element: collectors/file may
// import collectors); nothing else. docs/architecture.md explains each
// tier; change both together.
var tiers = []struct {
	prefix string
	tier   int
}{
	// 0: helpers that know nothing of assay's vocabulary, and the
	// built-in bundles' files.
	{"internal", 0},
	{"policies", 0},
	// 1: the vocabulary every layer shares: documents, findings and
	// reports, targets, the collector interface, exit codes.
	{"core", 1},
	// 2: each does one job and depends only on the core: gathering facts,
	// reading targets, loading bundles (with their data sources),
	// writing reports.
	{"collectors", 2},
	{"targets", 2},
	{"bundle", 2},
	{"exporters", 2},
	// 3: the Rego engine judges what the bundle loader loaded.
	{"engine", 3},
	// 4: the scan pipeline as a library: bundles, collect, evaluate,
	// export, serve.
	{"pipeline", 4},
	// 5: the command line only wires flags and renders.
	{"cmd", 5},
	// 6: benchmarks, examples and the release tooling may use anything.
	{"bench", 6},
	{"examples", 6},
	{"packaging", 6},
}

// tierOf returns the tier and area of a package path relative to the
// module, and whether the table places it.
func tierOf(rel string) (tier int, area string, ok bool) {
	best := -1
	for _, t := range tiers {
		if (rel == t.prefix || strings.HasPrefix(rel, t.prefix+"/")) && len(t.prefix) > best {
			best, tier, ok = len(t.prefix), t.tier, true
		}
	}
	area, _, _ = strings.Cut(rel, "/")
	return tier, area, ok
}

type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages returns every package of the module with its non-test
// imports, as `go list -json` reports them.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	statSources(t)
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 30 {
		t.Fatalf("go list found %d packages: is the module root above this test?", len(pkgs))
	}
	return pkgs
}

// statSources stats every Go file of the module. go test caches a result
// until a file the test opened or stat'ed changes; `go list` runs in
// another process, so without this an import added later would not
// re-run the test.
func statSources(t *testing.T) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".go") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// TestImportsPointDown fails on any import that runs up the tiers or
// across areas of one tier. Tests may import more (an integration test
// exercises its package with the layers above it); the code that ships
// may not.
func TestImportsPointDown(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		fromTier, fromArea, ok := tierOf(from)
		if !ok {
			t.Errorf("%s is in no tier: add its folder to the table in layers_test.go and to docs/architecture.md", from)
			continue
		}
		for _, imp := range p.Imports {
			to, inModule := rel(imp)
			if !inModule {
				continue
			}
			toTier, toArea, ok := tierOf(to)
			switch {
			case !ok:
				continue // reported as the importer of nothing above
			case toArea == fromArea:
			case toTier < fromTier:
			default:
				t.Errorf("%s (tier %d) imports %s (tier %d): imports must point down the tiers", from, fromTier, to, toTier)
			}
		}
	}
}

// TestTierTable checks the test itself: the rule rejects what it must.
func TestTierTable(t *testing.T) {
	cases := []struct {
		from, to string
		ok       bool
	}{
		{"cmd/assay", "pipeline", true},
		{"pipeline", "engine", true},
		{"engine", "bundle", true},
		{"collectors/file", "core/target", true},
		{"collectors/file", "collectors", true},
		{"core/report", "core/exitcode", true},
		{"core/collector", "internal/registry", true},
		{"collectors", "core/report", true},
		{"core/report", "collectors", false},
		{"engine", "pipeline", false},
		{"exporters/sarif", "engine", false},
		{"bundle", "collectors/file", false},
		{"collectors/file", "exporters", false},
		{"internal/registry", "core/collector", false},
		{"pipeline", "cmd/assay", false},
	}
	for _, c := range cases {
		ft, fa, ok1 := tierOf(c.from)
		tt, ta, ok2 := tierOf(c.to)
		if !ok1 || !ok2 {
			t.Fatalf("%s or %s is in no tier", c.from, c.to)
		}
		if got := fa == ta || tt < ft; got != c.ok {
			t.Errorf("%s → %s allowed = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
