package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/assay-dev/assay/exporters/prometheus/pushtest"
)

// pushFixture is a root filesystem and a bundle that finds one mandatory
// violation in it.
func pushFixture(t *testing.T) (root, bundleDir string) {
	t.Helper()
	root, bundleDir = t.TempDir(), t.TempDir()
	files := map[string]string{
		filepath.Join(root, "etc/os-release"): "ID=alpine\nVERSION_ID=3.20.0\n",
		filepath.Join(root, "etc/hostname"):   "web-1\n",
		filepath.Join(bundleDir, "bundle.hcl"): `bundle "push-demo" {
  version = "0.1.0"
}

collect "host" "facts" {}

policy "os-is-approved" {
  title       = "The operating system is approved"
  severity    = "high"
  enforcement = "mandatory"
  input       = [collect.host.facts]
  rego        = <<-EOT
    package demo.os

    deny contains sprintf("OS %q is not approved", [input.os.id]) if input.os.id != "debian"
  EOT
}
`,
	}
	for path, body := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, bundleDir
}

func sampleValue(t *testing.T, g pushtest.Group, metric string, labels map[string]string) string {
	t.Helper()
	for _, s := range g.Metrics[metric] {
		match := true
		for k, v := range labels {
			if s.Labels[k] != v {
				match = false
			}
		}
		if match {
			return s.Value
		}
	}
	t.Errorf("group %v has no %s%v", g.Labels, metric, labels)
	return ""
}

// TestPushToPushgateway: assay scan --push sends the scan's metrics to a
// real Pushgateway as the group job="assay", instance=<target>, with the
// --push-label labels; a push replaces the group; assay push --delete
// removes it; a saved JSON report is pushed as the scan would have.
func TestPushToPushgateway(t *testing.T) {
	gw := pushtest.Start(t)
	root, bundleDir := pushFixture(t)
	out := filepath.Join(t.TempDir(), "report.json")

	_, stderr, code := execute(t, "scan", "--root", root, "-b", bundleDir, "-f", "json="+out,
		"--push", gw, "--push-label", "site=par1", "--push-label", "team=audit")
	if code != 1 {
		t.Fatalf("scan --push: exit %d, want 1 (a mandatory violation)\n%s", code, stderr)
	}
	groups := pushtest.Groups(t, gw)
	if len(groups) != 1 {
		t.Fatalf("%d groups on the gateway, want 1: %+v", len(groups), groups)
	}
	g := groups[0]
	want := map[string]string{"job": "assay", "instance": root, "site": "par1", "team": "audit"}
	for k, v := range want {
		if g.Labels[k] != v {
			t.Errorf("grouping label %s = %q, want %q (all: %v)", k, g.Labels[k], v, g.Labels)
		}
	}
	if v := sampleValue(t, g, "assay_findings", map[string]string{"policy": "os-is-approved", "kind": "deny"}); v != "1" {
		t.Errorf("assay_findings{policy=os-is-approved,kind=deny} = %q, want 1", v)
	}
	if v := sampleValue(t, g, "assay_scan_success", nil); v != "1" {
		t.Errorf("assay_scan_success = %q, want 1", v)
	}
	if len(g.Metrics["assay_last_scan_success_timestamp_seconds"]) != 1 || len(g.Metrics["push_time_seconds"]) != 1 {
		t.Errorf("want assay_last_scan_success_timestamp_seconds and push_time_seconds, have %d and %d",
			len(g.Metrics["assay_last_scan_success_timestamp_seconds"]), len(g.Metrics["push_time_seconds"]))
	}

	// The saved report pushes the same group again; a fixed OS then
	// replaces the finding (PUT: the group holds only the last run).
	if _, stderr, code := execute(t, "push", gw, out, "--push-label", "site=par1", "--push-label", "team=audit"); code != 0 {
		t.Fatalf("push REPORT: exit %d\n%s", code, stderr)
	}
	if n := len(pushtest.Groups(t, gw)); n != 1 {
		t.Errorf("%d groups after pushing the saved report, want the same 1", n)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=debian\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := execute(t, "scan", "--root", root, "-b", bundleDir, "-f", "json=/dev/null",
		"--push", gw, "--push-label", "site=par1", "--push-label", "team=audit"); code != 0 {
		t.Fatalf("clean scan --push: exit %d\n%s", code, stderr)
	}
	g, err := pushtest.Find(pushtest.Groups(t, gw), root)
	if err != nil {
		t.Fatal(err)
	}
	if v := sampleValue(t, g, "assay_findings", map[string]string{"policy": "os-is-approved", "kind": "deny"}); v != "0" {
		t.Errorf("after a clean scan assay_findings = %q, want 0", v)
	}

	// Deleting needs the same grouping key: another site deletes nothing.
	if _, stderr, code := execute(t, "push", gw, "--delete", "--instance", root, "--push-label", "site=ams1", "--push-label", "team=audit"); code != 0 {
		t.Fatalf("push --delete (other site): exit %d\n%s", code, stderr)
	}
	if n := len(pushtest.Groups(t, gw)); n != 1 {
		t.Errorf("%d groups after deleting another site's, want 1", n)
	}
	if _, stderr, code := execute(t, "push", gw, "--delete", "--instance", root, "--push-label", "site=par1", "--push-label", "team=audit"); code != 0 {
		t.Fatalf("push --delete: exit %d\n%s", code, stderr)
	}
	if groups := pushtest.Groups(t, gw); len(groups) != 0 {
		t.Errorf("groups after push --delete: %+v, want none", groups)
	}
}

// TestPushFails: a push that fails is exit 3 with the reason, and the
// local outputs are written all the same.
func TestPushFails(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	root, bundleDir := pushFixture(t)
	out := filepath.Join(t.TempDir(), "report.json")
	_, stderr, code := execute(t, "scan", "--root", root, "-b", bundleDir, "-f", "json="+out, "--push", closed)
	if code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `push group job="assay" instance=`) || !strings.Contains(stderr, "connection refused") {
		t.Errorf("stderr does not give the group and the reason:\n%s", stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), `"os-is-approved"`) {
		t.Errorf("the JSON report was not written despite the failed push: %v", err)
	}
	_, stderr, code = execute(t, "push", closed, "--delete", "--instance", "web-1")
	if code != 3 || !strings.Contains(stderr, `delete group job="assay" instance="web-1"`) {
		t.Errorf("push --delete to nobody: exit %d, want 3\n%s", code, stderr)
	}
}

// TestPushHostileGateway: what a gateway answers to a failed push reaches
// the operator's terminal bounded, on one line and without control
// characters; a redirect is not followed (the metrics go where the operator
// said, or nowhere).
func TestPushHostileGateway(t *testing.T) {
	var redirected atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Store(true)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(elsewhere.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "redirect") {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "\x1b]0;owned\x07\x1b[2Jbad push\r\n")
		io.WriteString(w, strings.Repeat("A", 10<<20))
	}))
	t.Cleanup(srv.Close)
	root, bundleDir := pushFixture(t)

	_, stderr, code := execute(t, "scan", "--root", root, "-b", bundleDir, "-f", "json=/dev/null", "--push", srv.URL)
	if code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\x07\r") || !strings.Contains(stderr, "bad push") {
		t.Errorf("stderr holds control characters or lacks the answer: %q", stderr)
	}
	if len(stderr) > 2000 {
		t.Errorf("stderr is %d bytes: the answer is not bounded", len(stderr))
	}

	_, stderr, code = execute(t, "push", srv.URL+"/redirect", "--delete", "--instance", "web-1")
	if code != 3 || redirected.Load() {
		t.Errorf("redirect: exit %d (want 3), followed %v\n%s", code, redirected.Load(), stderr)
	}
}

// collectFile is the output of assay collect on a host with one interface
// and the neighbors it sees (the rogue-hosts bundle's documents).
func collectFile(host, mac string, neighbors ...string) map[string]any {
	docs := []any{map[string]any{"bundle": "rogue-hosts", "collector": "interfaces.all",
		"document": map[string]any{"kind": "net.interface", "collector": "all", "host": host, "name": "eth0", "mac": mac, "permanent_mac": ""}}}
	for i, n := range neighbors {
		docs = append(docs, map[string]any{"bundle": "rogue-hosts", "collector": "neighbors.cache",
			"document": map[string]any{"kind": "net.neighbor", "collector": "cache", "host": host, "interface": "eth0",
				"ip": fmt.Sprintf("10.77.0.%d", 100+i), "mac": n, "state": "REACHABLE", "source": "arp_cache"}})
	}
	return map[string]any{"schema": "assay.documents/v1", "tool": map[string]any{"name": "assay"},
		"target": map[string]any{"kind": "ssh", "name": "ssh://root@" + host + ":22"}, "host": map[string]any{"hostname": host},
		"collectors": []any{}, "documents": docs}
}

func writeJSONFile(t *testing.T, path string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPushFleet: a run over several targets pushes one group per target,
// each with its own findings (the fleet policy's at the hosts that saw the
// rogue); a target that could not be scanned sets assay_scan_success 0 in
// its group and keeps its last good results there.
func TestPushFleet(t *testing.T) {
	gw := pushtest.Start(t)
	dir := t.TempDir()
	const rogue = "00:16:3e:66:00:66"
	hosts := map[string]map[string]any{
		"h1": collectFile("h1", "00:16:3e:77:00:01", "00:16:3e:77:00:02", rogue),
		"h2": collectFile("h2", "00:16:3e:77:00:02", "00:16:3e:77:00:01", rogue),
		"h3": collectFile("h3", "00:16:3e:77:00:03", "00:16:3e:77:00:01"),
	}
	multi := func(failed string) string {
		var secs []any
		for _, h := range []string{"h1", "h2", "h3"} {
			f := hosts[h]
			if h == failed {
				secs = append(secs, map[string]any{"target": f["target"], "status": "failed", "error": "read timeout"})
				continue
			}
			secs = append(secs, map[string]any{"target": f["target"], "status": "ok", "documents": f})
		}
		return writeJSONFile(t, filepath.Join(dir, "multi-"+failed+".json"),
			map[string]any{"schema": "assay.documents.targets/v1", "tool": map[string]any{"name": "assay"}, "targets": secs})
	}
	bundle := filepath.Join("..", "..", "policies", "rogue-hosts")

	if _, stderr, code := execute(t, "eval", "--fleet", "-b", bundle, "--documents", multi(""), "-f", "json=/dev/null", "--push", gw); code != 0 {
		t.Fatalf("eval --fleet --push: exit %d\n%s", code, stderr)
	}
	groups := pushtest.Groups(t, gw)
	if len(groups) != 3 {
		t.Fatalf("%d groups, want one per target: %+v", len(groups), groups)
	}
	unowned := map[string]string{"bundle": "rogue-hosts", "policy": "rogue-hosts-unowned-neighbor", "kind": "deny"}
	for h, want := range map[string]string{"h1": "1", "h2": "1", "h3": "0"} {
		g, err := pushtest.Find(groups, "ssh://root@"+h+":22")
		if err != nil {
			t.Fatal(err)
		}
		if v := sampleValue(t, g, "assay_findings", unowned); v != want {
			t.Errorf("%s: unowned-neighbor findings %q, want %s", h, v, want)
		}
		if _, ok := g.Metrics["target"]; ok || len(g.Metrics["assay_findings"]) == 0 || g.Metrics["assay_findings"][0].Labels["target"] != "" {
			t.Errorf("%s: pushed series carry a target label; instance is the target", h)
		}
	}

	// h2 cannot be scanned this time: exit 3, its group says so and keeps
	// the last good results.
	if _, stderr, code := execute(t, "eval", "--fleet", "-b", bundle, "--documents", multi("h2"), "-f", "json=/dev/null", "--push", gw); code != 3 {
		t.Fatalf("eval --fleet with a failed target: exit %d, want 3\n%s", code, stderr)
	}
	g, err := pushtest.Find(pushtest.Groups(t, gw), "ssh://root@h2:22")
	if err != nil {
		t.Fatal(err)
	}
	if v := sampleValue(t, g, "assay_scan_success", nil); v != "0" {
		t.Errorf("h2 after a failed scan: assay_scan_success %q, want 0", v)
	}
	if v := sampleValue(t, g, "assay_findings", unowned); v != "1" {
		t.Errorf("h2 after a failed scan: the last good findings are gone (%q, want 1)", v)
	}
	if len(g.Metrics["assay_last_scan_success_timestamp_seconds"]) != 1 {
		t.Error("h2 after a failed scan: the last good scan's time is gone")
	}

	// A gateway that does not answer is not waited for once per target.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	out := filepath.Join(dir, "report.json")
	_, stderr, code := execute(t, "eval", "--fleet", "-b", bundle, "--documents", multi(""), "-f", "json="+out, "--push", closed)
	if code != 3 || strings.Count(stderr, "connection refused") != 1 || !strings.Contains(stderr, "the groups of the 2 targets after it were not pushed") {
		t.Errorf("push to nobody: exit %d, want 3, one refusal and the groups not tried:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the local output was not written: %v", err)
	}
}
