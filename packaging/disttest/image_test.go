package disttest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestImageDogfood scans assay's own image with assay, in both forms make
// image writes, with the bundle it must pass (packaging/image-policy:
// unprivileged, no shell), and checks what its configuration says.
func TestImageDogfood(t *testing.T) {
	dist := distDir(t)
	bin := hostBinary(t)
	bundle := filepath.Join(repoRoot(t), "packaging", "image-policy")
	for _, ref := range []string{filepath.Join(dist, "assay-image.tar"), "oci:" + filepath.Join(dist, "assay-image-oci")} {
		t.Run(filepath.Base(ref), func(t *testing.T) {
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			cmd := exec.Command(bin, "scan", "--image", ref, "-b", bundle, "-f", "table", "-f", "json="+report)
			out, err := cmd.CombinedOutput()
			t.Logf("assay scan --image %s:\n%s", ref, out)
			if err != nil {
				t.Fatalf("assay's image does not pass its own policies: %v", err)
			}
			var rep struct {
				Policies []struct {
					Bundle string `json:"bundle"`
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"policies"`
			}
			raw, _ := os.ReadFile(report)
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			passed := map[string]bool{}
			for _, p := range rep.Policies {
				passed[p.Bundle+"/"+p.ID] = p.Status == "pass"
			}
			if !passed["assay-image/image-non-root"] || !passed["assay-image/image-no-shell"] {
				t.Errorf("policies: %+v, want both judged and passing", rep.Policies)
			}

			docs := filepath.Join(dir, "docs.json")
			command(t, "/", bin, "collect", "--image", ref, "-b", bundle, "-o", docs)
			raw, _ = os.ReadFile(docs)
			var collected struct {
				Documents []struct {
					Document map[string]any `json:"document"`
				} `json:"documents"`
			}
			if err := json.Unmarshal(raw, &collected); err != nil {
				t.Fatal(err)
			}
			var cfg map[string]any
			for _, d := range collected.Documents {
				if d.Document["kind"] == "image.config" {
					cfg = d.Document
				}
			}
			if cfg == nil {
				t.Fatalf("no image.config document in %s", raw)
			}
			labels, _ := cfg["labels"].(map[string]any)
			if cfg["user"] != "65534:65534" || labels["org.opencontainers.image.version"] != versionOf(version(t)) ||
				labels["org.opencontainers.image.revision"] == "" || labels["org.opencontainers.image.source"] == nil {
				t.Errorf("image.config = %v", cfg)
			}
		})
	}
}
