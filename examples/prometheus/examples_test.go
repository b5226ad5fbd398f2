// Package prometheus_test checks the Prometheus, Grafana and Kubernetes
// examples with the real tools: promtool validates and unit-tests the alert
// rules and the scrape configuration, the dashboard's queries are parsed by
// promtool, and an end-to-end test runs a real Prometheus against an
// in-process `assay serve` and waits for the example alert to fire.
package prometheus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/internal/testenv"
	"github.com/assay-dev/assay/pipeline/serve"
)

// tool finds promtool or prometheus, both in the Debian package prometheus.
func tool(t *testing.T, name string) string {
	t.Helper()
	return testenv.RequireTool(t, name, "prometheus")
}

func run(t *testing.T, dir string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAlertRules(t *testing.T) {
	if out, err := run(t, ".", "promtool", "check", "rules", "assay-alerts.yml"); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if out, err := run(t, ".", "promtool", "test", "rules", "assay-alerts.test.yml"); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestAlertRuleTestsCanFail: the rule tests catch a broken rule.
func TestAlertRuleTestsCanFail(t *testing.T) {
	rules, err := os.ReadFile("assay-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("assay-alerts.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"violation threshold", `enforcement="mandatory"} > 0`, `enforcement="mandatory"} > 5`},
		{"waiver warned a week ahead only", `time() < 14 * 86400 > 0`, `time() < 7 * 86400 > 0`},
		{"expired waiver still alerting", `time() < 14 * 86400 > 0`, `time() < 14 * 86400`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			broken := strings.Replace(string(rules), tc.from, tc.to, 1)
			if broken == string(rules) {
				t.Fatal("could not break the rule: expression changed?")
			}
			os.WriteFile(filepath.Join(dir, "assay-alerts.yml"), []byte(broken), 0o644)
			os.WriteFile(filepath.Join(dir, "assay-alerts.test.yml"), tests, 0o644)
			if out, err := run(t, dir, "promtool", "test", "rules", "assay-alerts.test.yml"); err == nil {
				t.Fatalf("rule tests passed on a broken rule:\n%s", out)
			}
		})
	}
}

func TestScrapeConfig(t *testing.T) {
	if out, err := run(t, ".", "promtool", "check", "config", "prometheus.yml"); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	// The Kubernetes job needs kubernetes_sd, which Debian's Prometheus build
	// leaves out; check it parses and keeps the pods by the DaemonSet's label.
	var k struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
			Relabel []struct {
				Regex string `yaml:"regex"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "../kubernetes/prometheus-scrape.yml", &k)
	if len(k.ScrapeConfigs) != 1 || k.ScrapeConfigs[0].Relabel[0].Regex != "assay" {
		t.Errorf("kubernetes scrape config: %+v", k)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestDashboard parses every dashboard query with promtool (as recording
// rules) and checks it only names metrics that docs/metrics.md documents.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("../grafana/assay-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	docs, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	metricRE := regexp.MustCompile(`\bassay_[a-z_]+\b`)
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			n++
			expr := strings.ReplaceAll(tg.Expr, "$instance", ".*")
			fmt.Fprintf(&rules, "      - record: dashboard:query%d\n        expr: %q\n", n, expr)
			for _, m := range metricRE.FindAllString(expr, -1) {
				if !strings.Contains(string(docs), "`"+m+"`") {
					t.Errorf("panel %q uses %s, which docs/metrics.md does not document", p.Title, m)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no queries in the dashboard")
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	os.WriteFile(path, []byte(rules.String()), 0o644)
	if out, err := run(t, ".", "promtool", "check", "rules", path); err != nil {
		t.Errorf("dashboard queries do not parse: %v\n%s", err, out)
	}
}

func TestDaemonSet(t *testing.T) {
	b, err := os.ReadFile("../kubernetes/daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	found := false
	for {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args         []string `yaml:"args"`
							VolumeMounts []struct {
								MountPath string `yaml:"mountPath"`
								ReadOnly  bool   `yaml:"readOnly"`
							} `yaml:"volumeMounts"`
						} `yaml:"containers"`
						Volumes []struct {
							HostPath struct {
								Path string `yaml:"path"`
							} `yaml:"hostPath"`
						} `yaml:"volumes"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if doc.Kind != "DaemonSet" {
			continue
		}
		found = true
		c := doc.Spec.Template.Spec.Containers[0]
		if len(c.Args) == 0 || c.Args[0] != "serve" || !contains(c.Args, "--root=/host") {
			t.Errorf("args %v: want serve --root=/host", c.Args)
		}
		if m := c.VolumeMounts[0]; m.MountPath != "/host" || !m.ReadOnly {
			t.Errorf("host mount %+v: want /host read-only", m)
		}
		if p := doc.Spec.Template.Spec.Volumes[0].HostPath.Path; p != "/" {
			t.Errorf("hostPath %q, want /", p)
		}
	}
	if !found {
		t.Fatal("no DaemonSet")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestEndToEnd starts `assay serve` (in process, with a scanner that reports
// a mandatory violation) and a real Prometheus scraping it every second with
// the example alert rules, then asks Prometheus's HTTP API for the assay_
// series and for the firing AssayMandatoryViolation alert.
func TestEndToEnd(t *testing.T) {
	tool(t, "prometheus")
	if testing.Short() {
		t.Skip("starts a real Prometheus; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &serve.Daemon{
		Scan:      func(context.Context) (*report.Report, error) { return exportertest.Violations(), nil },
		Interval:  time.Hour,
		Listeners: []net.Listener{l},
	}
	dctx, stopDaemon := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	defer func() {
		stopDaemon()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}()

	api := startPrometheus(t, ctx, []string{"assay-alerts.yml"}, fmt.Sprintf(`  - job_name: assay
    static_configs:
      - targets: [%q]
`, l.Addr().String()))

	// The assay_ series arrive.
	var series []map[string]any
	poll(t, ctx, "assay_findings series in Prometheus", func() bool {
		var resp struct {
			Data struct {
				Result []map[string]any `json:"result"`
			} `json:"data"`
		}
		if getJSON(api+"query?query="+url.QueryEscape(`assay_findings{job="assay"}`), &resp) != nil {
			return false
		}
		series = resp.Data.Result
		return len(series) > 0
	})
	if len(series) != 14 { // 7 policies × {deny, warn}
		t.Errorf("%d assay_findings series, want 14", len(series))
	}

	// The example alert fires for the mandatory violations.
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		State  string            `json:"state"`
	}
	poll(t, ctx, "AssayMandatoryViolation firing", func() bool {
		var resp struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		if getJSON(api+"alerts", &resp) != nil {
			return false
		}
		alerts = alerts[:0]
		for _, a := range resp.Data.Alerts {
			if a.Labels["alertname"] == "AssayMandatoryViolation" && a.State == "firing" {
				alerts = append(alerts, a)
			}
		}
		return len(alerts) == 2
	})
	got := map[string]string{}
	for _, a := range alerts {
		got[a.Labels["policy"]] = a.Labels["severity"]
	}
	want := map[string]string{"sshd-password-auth": "critical", "authorized-keys-format": "warning"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("firing alerts (policy → severity) %v, want %v", got, want)
	}
}

// startPrometheus runs a real Prometheus until the test ends, scraping and
// evaluating every second with the rule files (relative to this directory)
// and the scrape configs given (YAML list items), and returns the URL of
// its HTTP API ("http://…/api/v1/").
func startPrometheus(t *testing.T, ctx context.Context, ruleFiles []string, scrapeConfigs string) string {
	t.Helper()
	promBin := tool(t, "prometheus")
	dir := t.TempDir()
	var rules []string
	for _, f := range ruleFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, fmt.Sprintf("%q", abs))
	}
	promAddr := freePort(t)
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
%s`, strings.Join(rules, ", "), scrapeConfigs)
	os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644)
	logf, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd := exec.CommandContext(ctx, promBin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		waited := make(chan struct{})
		go func() { cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", b)
		}
	})
	return "http://" + promAddr + "/api/v1/"
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func getJSON(u string, v any) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func poll(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
