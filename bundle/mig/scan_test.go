package mig

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/engine"
	goldenpkg "github.com/assay-dev/assay/internal/golden"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/targets"
)

// exampleTree is a root filesystem for the example investigation: alice's
// keys are approved, bob has a rogue key on line 2, alice's
// authorized_keys2 a rogue line 3, root's file is empty (no finding, unlike
// MIG), and root's .ssh holds a symbolic link the search does not follow.
func exampleTree(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	files := map[string]string{
		"home/alice/.ssh/authorized_keys":  "# alice\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ5Yk1PZEw0d2pWcUZyN0h4dTJOb3lTbVZhQ0xqZ0Q alice@laptop\n",
		"home/alice/.ssh/authorized_keys2": "\n# old\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCRogue eve@old\n",
		"home/bob/.ssh/authorized_keys":    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDBobsApprovedRsaKeyMaterial bob@desk\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogue mallory@evil\n",
		"home/bob/.ssh/known_hosts":        "host ssh-ed25519 AAAA\n",
		"root/.ssh/authorized_keys":        "",
		"etc/passwd":                       "root:x:0:0:root:/root:/bin/sh\n",
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "root/.ssh/authorized_keys2")); err != nil {
		t.Fatal(err)
	}
	return root
}

// scanDir loads the bundle at dir and scans root with it, as assay scan -b
// dir --root root does.
func scanDir(t testing.TB, dir, root string) *pipeline.Pipeline {
	t.Helper()
	b := loadDir(t, dir)
	eng, err := engine.New(context.Background(), []*bundle.Bundle{b})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	return &pipeline.Pipeline{Bundles: []*bundle.Bundle{b}, Engine: eng, Target: tgt}
}

// TestExampleFindings runs the example investigation through the whole
// pipeline (mig import, bundle load, collect, evaluate) and compares the
// findings with testdata/example.findings.golden.json, which was written
// by the generator of one module and one HCL-described policy per search:
// sharing one module changes no finding. The policies' results are in
// example.policies.golden.json (their description, severity and
// enforcement now come from the shared module's METADATA).
func TestExampleFindings(t *testing.T) {
	_, dir := convertDir(t, readExample(t), "authorized_keys", PerSearch)
	r, err := scanDir(t, dir, exampleTree(t)).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The target is a temporary directory: name it as a fixed one would be
	// named, so that fingerprints are stable.
	for i := range r.Findings {
		r.Findings[i].Target = "rootfs"
		r.Findings[i].ComputeFingerprint()
	}
	type policy struct {
		ID, Title, Description, Severity, Enforcement, Status, Source string
		Documents, Findings                                           int
	}
	var policies []policy
	for _, p := range r.Policies {
		policies = append(policies, policy{p.ID, p.Title, p.Description, p.Severity.String(), string(p.Enforcement), string(p.Status),
			strings.TrimPrefix(p.Source, dir+"/"), p.Documents, p.Findings})
	}
	compareGolden(t, "testdata/example.findings.golden.json", r.Findings)
	compareGolden(t, "testdata/example.policies.golden.json", policies)
}

// compareGolden compares v, as indented JSON, with the golden file, or
// rewrites the file with -update.
func compareGolden(t *testing.T, golden string, v any) {
	t.Helper()
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	goldenpkg.File(t, golden, out)
}

// convertDir converts action into a bundle named name and writes it into
// a new directory, whose path it returns with the bundle.
func convertDir(t testing.TB, action []byte, name string, shape Shape) (*Bundle, string) {
	t.Helper()
	b, err := Convert(action, name, shape)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := b.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return b, dir
}

// fileLoader loads imported investigations: they name the file collector
// type only.
var fileLoader = &bundle.Loader{Collectors: collector.NewRegistry(file.Type())}

// loadDir loads the bundle at dir as assay scan -b dir would.
func loadDir(t testing.TB, dir string) *bundle.Bundle {
	t.Helper()
	b, diags := fileLoader.Load(context.Background(), dir)
	if diags.HasErrors() {
		t.Fatalf("generated bundle does not load: %v", diags)
	}
	return b
}

func readExample(t testing.TB) []byte {
	t.Helper()
	action, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	return action
}
