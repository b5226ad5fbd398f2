package prometheus_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	assayprom "github.com/assay-dev/assay/exporters/prometheus"
	"github.com/assay-dev/assay/internal/golden"
	"github.com/assay-dev/assay/internal/testenv"
)

func export(t *testing.T, r *report.Report) []byte {
	t.Helper()
	f := assayprom.Format()
	var buf bytes.Buffer
	if err := f.New(&buf, exporters.Options{}).Export(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// promtool runs `promtool check metrics` (the linter node_exporter's own CI
// runs on its output): format errors and convention problems both fail.
// Outside CI, without promtool, the test goes on unlinted.
func promtool(t *testing.T, text []byte) {
	t.Helper()
	bin, ok := testenv.OptionalTool(t, "promtool", "prometheus")
	if !ok {
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func parse(t *testing.T, text []byte) map[string]*familyT {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	out := map[string]*familyT{}
	for name, f := range fams {
		ft := &familyT{typ: f.GetType().String()}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			ft.samples = append(ft.samples, sample{strings.Join(ls, ","), v})
		}
		out[name] = ft
	}
	return out
}

type familyT struct {
	typ     string
	samples []sample
}

type sample struct {
	labels string
	value  float64
}

func (f *familyT) get(labels string) (float64, bool) {
	for _, s := range f.samples {
		if s.labels == labels {
			return s.value, true
		}
	}
	return 0, false
}

func TestGolden(t *testing.T) {
	for _, c := range exportertest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			out := export(t, c.Report)
			promtool(t, out)
			parse(t, out)
			golden.Check(t, c.Name+".prom", out)
		})
	}
}

// TestPromtoolRejects proves the promtool check can fail.
func TestPromtoolRejects(t *testing.T) {
	bin := testenv.RequireTool(t, "promtool", "prometheus")
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader("# HELP x_total a\n# TYPE x_total gauge\nx_total 1\n")
	out, _ := cmd.CombinedOutput()
	if len(bytes.TrimSpace(out)) == 0 {
		t.Error("promtool accepted a gauge named _total")
	}
}

func TestValues(t *testing.T) {
	m := parse(t, export(t, exportertest.Violations()))
	for _, tc := range []struct {
		metric, labels string
		want           float64
	}{
		{"assay_findings", "bundle=ssh-baseline,enforcement=mandatory,kind=deny,policy=sshd-password-auth,policy_severity=high", 1},
		{"assay_findings", "bundle=files,enforcement=mandatory,kind=deny,policy=authorized-keys-format,policy_severity=medium", 2},
		{"assay_findings", "bundle=ssh-baseline,enforcement=advisory,kind=warn,policy=sshd-banner,policy_severity=info", 1},
		{"assay_findings", "bundle=ssh-baseline,enforcement=mandatory,kind=deny,policy=sshd-root-login,policy_severity=critical", 0},
		{"assay_policy_status", "bundle=ssh-baseline,policy=sshd-match,status=error", 1},
		{"assay_policy_status", "bundle=ssh-baseline,policy=sshd-match,status=pass", 0},
		{"assay_policy_status", "bundle=ssh-baseline,policy=sshd-root-login,status=pass", 1},
		{"assay_collector_success", "bundle=files,collector=file.slow", 0},
		{"assay_collector_success", "bundle=ssh-baseline,collector=sshd_config.absent", 1},
		{"assay_collector_failed", "bundle=files,collector=file.slow,reason=timeout", 1},
		{"assay_collector_failed", "bundle=files,collector=netmac.lan,reason=error", 1},
		{"assay_collector_documents", "bundle=files,collector=file.authorized_keys", 4},
		{"assay_collector_skipped_items", "bundle=files,collector=file.authorized_keys", 5},
		{"assay_scan_duration_seconds", "", 1.5},
		{"assay_scan_success", "", 1},
		{"assay_last_scan_success_timestamp_seconds", "", float64(exportertest.Started.Unix()) + 1.5},
		{"assay_bundle_info", "bundle=ssh-baseline,digest=sha256:0123abcd,revision=9f2c1e7,source=policies/ssh,version=1.0.0", 1},
		{"assay_net_interface_info", "interface=eth0,mac=02:42:ac:11:00:02", 1},
		{"assay_net_neighbor_info", "interface=eth0,ip=172.17.0.1,mac=02:42:ac:11:00:01,source=arp_cache", 1},
		{"assay_target_info", "digest=,host=web-1,kind=host,name=/", 1},
	} {
		f := m[tc.metric]
		if f == nil {
			t.Errorf("no %s", tc.metric)
			continue
		}
		if v, ok := f.get(tc.labels); !ok || v != tc.want {
			t.Errorf("%s{%s} = %v (present %v), want %v; have %v", tc.metric, tc.labels, v, ok, tc.want, f.samples)
		}
	}
	if m["assay_findings"].typ != "GAUGE" {
		t.Errorf("assay_findings is a %s", m["assay_findings"].typ)
	}
	// the daemon's counters are not in a one-shot textfile
	if m["assay_scans_total"] != nil {
		t.Error("textfile has assay_scans_total")
	}
}

// TestNoSecretsInLabels: messages, paths and URL credentials never become
// label values, and there is no label called severity.
func TestNoSecretsInLabels(t *testing.T) {
	r := exportertest.Violations()
	r.Bundles[1].Source = "https://deploy:s3cr3t@bundles.example/files.tar.gz?token=abc#frag"
	out := string(export(t, r))
	for _, bad := range []string{"s3cr3t", "token=abc", "PasswordAuthentication", "/etc/ssh/sshd_config", "authorized_keys:", `{severity="`, `,severity="`} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	if !strings.Contains(out, `source="https://bundles.example/files.tar.gz"`) {
		t.Error("cleaned bundle source missing")
	}
}

func TestBoundedAndRobust(t *testing.T) {
	r := exportertest.Violations()
	r.Net = &report.Net{}
	for i := range assayprom.MaxNeighbors + 50 {
		r.Net.Neighbors = append(r.Net.Neighbors, report.NetNeighbor{Interface: "eth0", IP: fmt.Sprintf("10.0.%d.%d", i/256, i%256), MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256), Source: "arp_cache"})
	}
	for i := range assayprom.MaxInterfaces + 3 {
		r.Net.Interfaces = append(r.Net.Interfaces, report.NetInterface{Name: fmt.Sprintf("veth%d", i), MAC: fmt.Sprintf("02:01:00:00:%02x:%02x", i/256, i%256)})
	}
	// duplicates and invalid UTF-8 must not break the scrape
	r.Policies = append(r.Policies, r.Policies[0])
	r.Collectors = append(r.Collectors, r.Collectors[0])
	r.Bundles = append(r.Bundles, report.Bundle{Name: "bad\xffname", Version: "1"})
	r.Findings = append(r.Findings, report.Finding{Bundle: "ghost", PolicyID: "unlisted", Kind: report.Deny, Severity: report.SeverityLow})
	out := export(t, r)
	promtool(t, out)
	m := parse(t, out)
	if n := len(m["assay_net_neighbor_info"].samples); n != assayprom.MaxNeighbors {
		t.Errorf("%d neighbour series, want the cap %d", n, assayprom.MaxNeighbors)
	}
	if n := len(m["assay_net_interface_info"].samples); n != assayprom.MaxInterfaces {
		t.Errorf("%d interface series, want the cap %d", n, assayprom.MaxInterfaces)
	}
	if v, _ := m["assay_net_info_dropped"].get("metric=neighbor"); v != 50 {
		t.Errorf("dropped neighbours %v, want 50", v)
	}
	if v, _ := m["assay_findings"].get("bundle=ghost,enforcement=advisory,kind=deny,policy=unlisted,policy_severity=low"); v != 1 {
		t.Errorf("finding of an unlisted policy: %v", v)
	}
}

func TestErrors(t *testing.T) {
	exportertest.CheckErrors(t, func(w io.Writer) exporters.Exporter { return assayprom.New(w, exporters.Options{}) })
}

// TestStillRunning: a collector not started because its earlier run has not
// returned did not succeed, with its own reason.
func TestStillRunning(t *testing.T) {
	r := exportertest.Violations()
	r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: "files", Type: "file", Name: "stuck", Status: report.CollectorStillRunning,
		Error: "not started: its run from an earlier scan has not returned since it was abandoned 3s ago, past its deadline"})
	m := parse(t, export(t, r))
	if v, ok := m["assay_collector_success"].get("bundle=files,collector=file.stuck"); !ok || v != 0 {
		t.Errorf("assay_collector_success = %v (present %v), want 0", v, ok)
	}
	if v, ok := m["assay_collector_failed"].get("bundle=files,collector=file.stuck,reason=still_running"); !ok || v != 1 {
		t.Errorf("assay_collector_failed{reason=still_running} = %v (present %v), want 1; have %v", v, ok, m["assay_collector_failed"].samples)
	}
}
