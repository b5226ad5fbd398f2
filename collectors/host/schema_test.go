package host_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/collectors/host"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/schema/schematest"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
)

// TestDocumentsMatchSchema runs the host collector, through the runner as
// a scan does, on the running host (kernel facts) and on the distribution
// fixtures of collectors/sshd (real os-release files), and validates what
// it emits against the host schema.
func TestDocumentsMatchSchema(t *testing.T) {
	roots, err := filepath.Glob("../sshd/testdata/distros/*")
	if err != nil || len(roots) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var tgts []target.Target
	h, err := targets.Host()
	if err != nil {
		t.Fatal(err)
	}
	tgts = append(tgts, h)
	for _, r := range roots {
		d, err := targets.OpenDir(r)
		if err != nil {
			t.Fatal(err)
		}
		tgts = append(tgts, d)
	}
	c := host.Collector{}
	var docs []document.Document
	for _, tgt := range tgts {
		defer tgt.Close()
		out := (&collectors.Runner{Target: tgt}).Run(context.Background(), []collectors.Job{{Type: host.Type(), Name: "facts", Collector: c}})
		if r := out[0].Result; r.Status != "ok" || len(out[0].Documents) != 1 {
			t.Fatalf("%s: %s %s, %d documents; want ok and one", tgt.Info().Name, r.Status, r.Error, len(out[0].Documents))
		}
		docs = append(docs, out[0].Documents...)
	}
	schematest.Check(t, docs)
	if _, ok := docs[0]["kernel"]; !ok {
		t.Errorf("the running host's document has no kernel: %v", docs[0])
	}
	if _, err := os.Stat("/etc/os-release"); err == nil && len(docs[0]["os"].(map[string]any)) == 0 {
		t.Error("the running host's os-release was not read")
	}
}
