package file

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/targets"
)

// TestHostProcNotRead: on a host scan, a search never reads what
// processes keep in procfs (the scanner's own environment here), whether it
// names the file, walks /proc with the *at(2) walker or reaches it through
// a followed link; what it passes over is a skip that says how to allow
// it. With --allow-proc the same searches read it: the oracle that the
// walks do reach the file.
func TestHostProcNotRead(t *testing.T) {
	// /proc/self/environ is the environment the process started with: the
	// marker is its first variable.
	env, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		t.Fatal(err)
	}
	marker, _, _ := strings.Cut(string(env), "\x00")
	if len(marker) < 3 {
		t.Skipf("this test runs with an empty environment")
	}
	links := t.TempDir()
	must(t, os.Symlink("/proc/self", filepath.Join(links, "me")))
	tests := []struct{ name, body string }{
		{"the file named", `paths = ["/proc/self/environ"]`},
		{"a process directory walked", `paths = ["/proc/self"]
  maxdepth = 1`},
		{"every process", `paths = ["/proc"]
  name = "^environ$"
  maxdepth = 2`},
		{"a link followed", fmt.Sprintf(`paths = [%q]
  follow_symlinks = true
  maxdepth = 2`, links)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCollector(t, tt.body+"\n  capture = true")
			for _, allow := range []bool{false, true} {
				var opts []targets.Option
				if allow {
					opts = append(opts, targets.AllowProc())
				}
				host, err := targets.Host(opts...)
				if err != nil {
					t.Fatal(err)
				}
				rec := collect(t, c, host)
				host.Close()
				out, _ := json.Marshal(rec.docs)
				if read := strings.Contains(string(out), marker); read != allow {
					t.Errorf("allow-proc %v: the environment was read: %v", allow, read)
				}
				if allow {
					continue
				}
				said := false
				for _, s := range rec.skips {
					said = said || (strings.HasSuffix(s.Path, "/environ") && strings.Contains(s.Reason, "--allow-proc"))
				}
				if !said {
					t.Errorf("no skip says why environ was not read: %v", rec.skips)
				}
			}
		})
	}
}
