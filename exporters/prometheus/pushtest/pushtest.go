// Package pushtest starts a real Prometheus Pushgateway for tests and reads
// back the groups it holds.
package pushtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/testenv"
)

// Start runs prometheus-pushgateway (Debian package
// prometheus-pushgateway) on a free loopback port, without persistence,
// until the test ends, and returns its URL. Missing, it fails the test in
// CI and skips it elsewhere.
func Start(t testing.TB) string {
	t.Helper()
	bin := testenv.RequireTool(t, "prometheus-pushgateway", "prometheus-pushgateway")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logPath := filepath.Join(t.TempDir(), "pushgateway.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--web.listen-address="+addr, "--persistence.file=")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("pushgateway log:\n%s", b)
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushgateway at %s not ready: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Group is one group the gateway holds: its grouping labels and, per
// metric name, the labels and value of each sample.
type Group struct {
	Labels  map[string]string
	Metrics map[string][]Sample
}

// Sample is one pushed sample.
type Sample struct {
	Labels map[string]string
	Value  string
}

// Groups reads every group from the gateway's API (/api/v1/metrics),
// sorted by instance.
func Groups(t testing.TB, url string) []Group {
	t.Helper()
	resp, err := http.Get(url + "/api/v1/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("pushgateway API: %v", err)
	}
	var out []Group
	for _, g := range body.Data {
		grp := Group{Metrics: map[string][]Sample{}}
		for name, raw := range g {
			if name == "labels" {
				if err := json.Unmarshal(raw, &grp.Labels); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if len(raw) == 0 || raw[0] != '{' {
				continue // last_push_successful and other plain fields
			}
			var fam struct {
				Metrics []Sample `json:"metrics"`
			}
			if err := json.Unmarshal(raw, &fam); err != nil {
				t.Fatalf("pushgateway API, %s: %v", name, err)
			}
			grp.Metrics[name] = fam.Metrics
		}
		out = append(out, grp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels["instance"] < out[j].Labels["instance"] })
	return out
}

// Find returns the group whose instance label is instance.
func Find(groups []Group, instance string) (Group, error) {
	for _, g := range groups {
		if g.Labels["instance"] == instance {
			return g, nil
		}
	}
	var have []string
	for _, g := range groups {
		have = append(have, g.Labels["instance"])
	}
	return Group{}, fmt.Errorf("no group with instance %q (have %q)", instance, have)
}
