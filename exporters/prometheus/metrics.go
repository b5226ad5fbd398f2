// Package prometheus publishes reports as Prometheus metrics: the
// node_exporter textfile format for `-f prometheus`, and the Collector that
// `assay serve` exposes on /metrics (see the daemon sub-package).
//
// Metric names follow Prometheus conventions under the assay_ prefix and are
// listed in docs/metrics.md. Labels carry only names assay controls (bundle,
// policy, collector ids, statuses, severities) and network identities that
// are capped in number; never file contents, messages or paths, so series
// stay bounded however a scan turns out.
package prometheus

import (
	"fmt"
	"io"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/assay-dev/assay/core/report"
)

// Caps on the network info series of one scan: a host on a busy segment can
// see thousands of neighbours, and each is a series.
const (
	MaxInterfaces = 256
	MaxNeighbors  = 1024
)

const ns = "assay"

func desc(name, help string, labels ...string) *prom.Desc {
	for _, l := range labels {
		pushLabels[l] = true
	}
	return prom.NewDesc(ns+"_"+name, help, labels, nil)
}

// The metric descriptors; docs/metrics.md documents each one.
var (
	descFindings = desc("findings", "Findings of the last scan per policy, waived ones apart: kind is deny (violation) or warn; policy_severity is the policy's severity.",
		"bundle", "policy", "policy_severity", "enforcement", "kind")
	descFindingsWaived = desc("findings_waived", "Waived findings of the last scan per policy (waivers and exception rules), present when the scan uses waivers.",
		"bundle", "policy", "policy_severity", "enforcement", "kind")
	descPolicyStatus = desc("policy_status", "Outcome of each policy in the last scan: 1 for the current status, 0 for the others.",
		"bundle", "policy", "status")
	descPolicyDocs = desc("policy_documents", "Documents each policy judged in the last scan.", "bundle", "policy")

	descScanDuration = desc("scan_duration_seconds", "Wall time of the last completed scan.")
	descScanPhase    = desc("scan_phase_duration_seconds", "Wall time of the last completed scan per phase.", "phase")
	descLastSuccess  = desc("last_scan_success_timestamp_seconds", "Unix time at which the last successful scan ended.")
	descScanSuccess  = desc("scan_success", "1 if the last scan attempt completed, 0 if it failed (the metrics then still describe the last good scan).")
	descScansTotal   = desc("scans_total", "Scans attempted since the daemon started.")
	descScanFailures = desc("scan_failures_total", "Scans that failed since the daemon started.")
	descOverBudget   = desc("policy_memory_exceeded_total", "Scans in which a policy was stopped for exceeding the memory budget (--max-memory), since the daemon started.", "bundle", "policy")
	descReloadOK     = desc("config_last_reload_successful", "1 if the last bundle reload succeeded.")
	descReloadTime   = desc("config_last_reload_success_timestamp_seconds", "Unix time of the last successful bundle reload.")

	descCollectorDocs     = desc("collector_documents", "Documents each collect block produced in the last scan.", "bundle", "collector")
	descCollectorSuccess  = desc("collector_success", "1 if the collect block ran (or did not apply to the target), 0 if it failed, timed out or was still running from an earlier scan.", "bundle", "collector")
	descCollectorFailed   = desc("collector_failed", "Set to 1 for a collect block that failed in the last scan; reason is error, timeout or still_running.", "bundle", "collector", "reason")
	descCollectorDuration = desc("collector_duration_seconds", "Wall time of each collect block in the last scan.", "bundle", "collector")
	descCollectorSkipped  = desc("collector_skipped_items", "Items (files, entries) each collect block could not read in the last scan.", "bundle", "collector")
	descCollectorNA       = desc("collector_not_applicable", "1 if the collect block did not apply to the target (e.g. no sshd).", "bundle", "collector")
	descCollectorOverruns = desc("collector_overruns_total", "Scans in which the collect block was not started because its run from an earlier scan, abandoned past its deadline, had not returned.", "bundle", "collector")

	descDataUp          = desc("data_source_up", "1 if the live data source's fetch before the last scan succeeded, 0 if the policies judged with older data.", "bundle", "name", "kind")
	descDataLastSuccess = desc("data_source_last_success_timestamp_seconds", "Unix time at which the data the last scan judged with was fetched.", "bundle", "name", "kind")
	descDataDuration    = desc("data_source_fetch_duration_seconds", "Wall time of the live data source's last fetch.", "bundle", "name", "kind")
	descDataEntries     = desc("data_source_entries", "Entries (list items, object keys) of the data the last scan judged with.", "bundle", "name", "kind")

	descBundleInfo = desc("bundle_info", "Loaded bundles; always 1.", "bundle", "version", "revision", "digest", "source")
	descTargetInfo = desc("target_info", "The scanned target; always 1.", "kind", "name", "digest", "host")
	descBuildInfo  = desc("build_info", "The assay build; always 1.", "version", "goversion")

	descIfaceInfo    = desc("net_interface_info", "Local network interfaces and their MAC addresses; always 1.", "interface", "mac")
	descNeighborInfo = desc("net_neighbor_info", "Neighbours seen (ARP/NDP caches, captures) and their MAC addresses; always 1.", "interface", "ip", "mac", "source")
	descNetDropped   = desc("net_info_dropped", "Network info series left out because a scan saw more than the cap.", "metric")

	descWaiverExpiry   = desc("waiver_expiry_timestamp_seconds", "Unix time at which each waiver stops applying.", "waiver")
	descWaiverFindings = desc("waiver_findings", "Findings each waiver matched in the last scan (0: stale; expired waivers count the findings that count again).", "waiver")
	descScore          = desc("compliance_score", "Weighted share of applicable policies that passed (waived counts as passed), 0 to 1; bundle=\"\" is the overall score.", "bundle")
	descControlStatus  = desc("control_status", "Outcome of each control in the last scan (the worst of the policies naming it): 1 for the current status, 0 for the others.",
		"framework", "control", "status")
)

var allDescs = []*prom.Desc{
	descFindings, descPolicyStatus, descPolicyDocs, descScanDuration, descScanPhase, descLastSuccess, descScanSuccess,
	descScansTotal, descScanFailures, descReloadOK, descReloadTime, descCollectorDocs, descCollectorSuccess,
	descCollectorFailed, descCollectorDuration, descCollectorSkipped, descCollectorNA, descBundleInfo, descTargetInfo,
	descBuildInfo, descIfaceInfo, descNeighborInfo, descNetDropped,
	descDataUp, descDataLastSuccess, descDataDuration, descDataEntries,
	descCollectorOverruns, descOverBudget,
	descFindingsWaived, descWaiverExpiry, descWaiverFindings, descScore, descControlStatus,
	descOverlayInfo, descPolicyDisabled,
}

// Descs lists every metric descriptor assay publishes (docs/metrics.md).
func Descs() []*prom.Desc { return append([]*prom.Desc(nil), allDescs...) }

// ReportCollector is a prometheus.Collector over one completed report. Its
// metrics are built once, when it is made; a scrape only sends them.
type ReportCollector struct {
	built []prom.Metric
	// end, when set, is published as the last successful scan's end with
	// assay_scan_success 1 (the one-shot textfile has no daemon state).
	end     time.Time
	oneShot bool
	// failed publishes assay_scan_success 0: a target of a multi-target
	// run that could not be scanned.
	failed bool
}

// NewReportCollector builds the metrics of r.
func NewReportCollector(r *report.Report) *ReportCollector {
	return &ReportCollector{built: build(r)}
}

// Describe implements prometheus.Collector.
func (c *ReportCollector) Describe(ch chan<- *prom.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *ReportCollector) Collect(ch chan<- prom.Metric) {
	for _, m := range c.built {
		ch <- m
	}
	if c.oneShot {
		ch <- prom.MustNewConstMetric(descScanSuccess, prom.GaugeValue, b2f(!c.failed))
		if !c.end.IsZero() && !c.failed {
			ch <- prom.MustNewConstMetric(descLastSuccess, prom.GaugeValue, float64(c.end.UnixNano())/1e9)
		}
	}
}

// StateCollector publishes what a long-running process knows beyond the
// last report: whether the last scan attempt succeeded, when one last did,
// scan, reload and collector overrun counters, and the build.
type StateCollector struct {
	version string

	mu          sync.RWMutex
	lastSuccess time.Time
	success     bool
	scans       uint64
	failures    uint64
	reloadOK    bool
	reloadTime  time.Time
	overruns    map[collectorKey]uint64
	collectors  []collectorKey       // of the last completed scan, sorted
	overBudget  map[[2]string]uint64 // by bundle and policy
}

// collectorKey names a collect block in the metrics.
type collectorKey struct{ bundle, collector string }

// NewStateCollector returns the daemon's state collector.
func NewStateCollector(version string) *StateCollector {
	return &StateCollector{version: version, reloadOK: true}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prom.Desc) {
	for _, d := range []*prom.Desc{descScanSuccess, descLastSuccess, descScansTotal, descScanFailures, descReloadOK, descReloadTime, descBuildInfo, descCollectorOverruns, descOverBudget} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prom.Metric) {
	c.mu.RLock()
	success, last := c.success, c.lastSuccess
	scans, failures := c.scans, c.failures
	reloadOK, reloadTime := c.reloadOK, c.reloadTime
	overruns := make([]uint64, len(c.collectors))
	for i, k := range c.collectors {
		overruns[i] = c.overruns[k]
	}
	keys := c.collectors // replaced, never changed in place
	overBudget := make([]prom.Metric, 0, len(c.overBudget))
	for k, n := range c.overBudget {
		overBudget = append(overBudget, prom.MustNewConstMetric(descOverBudget, prom.CounterValue, float64(n), k[0], k[1]))
	}
	c.mu.RUnlock()
	for _, m := range overBudget {
		ch <- m
	}

	ch <- prom.MustNewConstMetric(descScanSuccess, prom.GaugeValue, b2f(success))
	if !last.IsZero() {
		ch <- prom.MustNewConstMetric(descLastSuccess, prom.GaugeValue, float64(last.UnixNano())/1e9)
	}
	ch <- prom.MustNewConstMetric(descScansTotal, prom.CounterValue, float64(scans))
	ch <- prom.MustNewConstMetric(descScanFailures, prom.CounterValue, float64(failures))
	ch <- prom.MustNewConstMetric(descReloadOK, prom.GaugeValue, b2f(reloadOK))
	if !reloadTime.IsZero() {
		ch <- prom.MustNewConstMetric(descReloadTime, prom.GaugeValue, float64(reloadTime.UnixNano())/1e9)
	}
	ch <- prom.MustNewConstMetric(descBuildInfo, prom.GaugeValue, 1, label(c.version), runtime.Version())
	for i, k := range keys {
		ch <- prom.MustNewConstMetric(descCollectorOverruns, prom.CounterValue, float64(overruns[i]), k.bundle, k.collector)
	}
}

// Collected records the collectors of a completed scan: each one reported
// still running from an earlier scan counts an overrun. Every collector of
// the scan has a series, at 0 until it overruns, so that increase() sees
// the first one; the counts of collectors a reload removed are kept, in
// case they come back.
func (c *StateCollector) Collected(results []report.CollectorResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.overruns == nil {
		c.overruns = map[collectorKey]uint64{}
	}
	seen := map[collectorKey]bool{}
	keys := make([]collectorKey, 0, len(results))
	for _, r := range results {
		// Sanitised first: two keys must not become one series.
		k := collectorKey{label(r.Bundle), label(r.Type + "." + r.Name)}
		if r.Status == report.CollectorStillRunning {
			c.overruns[k]++
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].bundle != keys[j].bundle {
			return keys[i].bundle < keys[j].bundle
		}
		return keys[i].collector < keys[j].collector
	})
	c.collectors = keys
}

// ScanSucceeded records a scan that completed at `at`.
func (c *StateCollector) ScanSucceeded(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.success = true
	c.lastSuccess = at
	c.scans++
}

// ScanFailed records a failed scan: assay_scan_success drops to 0.
func (c *StateCollector) ScanFailed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.success = false
	c.scans++
	c.failures++
}

// PolicyOverBudget counts a scan in which the policy was stopped for
// exceeding the memory budget. Policies are named by bundles, so the series
// are bounded by them.
func (c *StateCollector) PolicyOverBudget(bundle, policy string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.overBudget == nil {
		c.overBudget = map[[2]string]uint64{}
	}
	c.overBudget[[2]string{label(bundle), label(policy)}]++
}

// Reloaded records the outcome of a bundle reload.
func (c *StateCollector) Reloaded(ok bool, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reloadOK = ok
	if ok {
		c.reloadTime = at
	}
}

// Render writes the metrics of collectors in the text exposition format.
func Render(w io.Writer, cs ...prom.Collector) error {
	reg := prom.NewPedanticRegistry()
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("prometheus: %w", err)
		}
	}
	return Encode(w, reg)
}

// Encode gathers g and writes the text exposition format.
func Encode(w io.Writer, g prom.Gatherer) error {
	families, err := g.Gather()
	if err != nil {
		return fmt.Errorf("prometheus: gather: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("write prometheus text: %w", err)
		}
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// label keeps a label value valid UTF-8 (the client library rejects anything
// else) and of bounded length.
func label(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	const max = 256
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}

// cleanSource keeps a bundle source from leaking credentials into a label:
// a URL loses its user info, query and fragment.
func cleanSource(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		return u.String()
	}
	return s
}

type metrics []prom.Metric

func (m *metrics) add(d *prom.Desc, t prom.ValueType, v float64, labels ...string) {
	for i := range labels {
		labels[i] = label(labels[i])
	}
	// Labels are sanitised and counted by construction, so an error here is a
	// programming error; dropping the sample beats failing every scrape.
	if metric, err := prom.NewConstMetric(d, t, v, labels...); err == nil {
		*m = append(*m, metric)
	}
}

// statuses are the values of the status label: one series each, whose
// order the registry sorts.
var statuses = report.Statuses()

// build turns a report into its metrics, once per scan.
func build(r *report.Report) []prom.Metric {
	var m metrics
	type key struct{ bundle, policy string }
	type counts struct{ deny, warn, waivedDeny, waivedWarn int }
	found := map[key]*counts{}
	waivers := r.Waivers != nil
	for _, f := range r.Findings {
		k := key{f.Bundle, f.PolicyID}
		if found[k] == nil {
			found[k] = &counts{}
		}
		switch {
		case f.Waived != nil && f.Kind == report.Warn:
			found[k].waivedWarn++
			waivers = true
		case f.Waived != nil:
			found[k].waivedDeny++
			waivers = true
		case f.Kind == report.Warn:
			found[k].warn++
		default:
			found[k].deny++
		}
	}
	policies := append([]report.PolicyResult(nil), r.Policies...)
	listed := map[key]bool{}
	for _, p := range policies {
		listed[key{p.Bundle, p.ID}] = true
	}
	for _, f := range r.Findings { // findings of policies the report does not list
		if k := (key{f.Bundle, f.PolicyID}); !listed[k] {
			listed[k] = true
			policies = append(policies, report.PolicyResult{Bundle: f.Bundle, ID: f.PolicyID, Severity: f.Severity, Enforcement: f.Enforcement, Status: report.StatusFail})
		}
	}
	sort.SliceStable(policies, func(i, j int) bool {
		if policies[i].Bundle != policies[j].Bundle {
			return policies[i].Bundle < policies[j].Bundle
		}
		return policies[i].ID < policies[j].ID
	})
	seen := map[key]bool{}
	for _, p := range policies {
		k := key{p.Bundle, p.ID}
		if seen[k] { // a duplicate would make the registry reject the scrape
			continue
		}
		seen[k] = true
		c := found[k]
		if c == nil {
			c = &counts{}
		}
		enf := string(p.Enforcement)
		if enf == "" {
			enf = string(report.Advisory)
		}
		m.add(descFindings, prom.GaugeValue, float64(c.deny), p.Bundle, p.ID, p.Severity.String(), enf, string(report.Deny))
		m.add(descFindings, prom.GaugeValue, float64(c.warn), p.Bundle, p.ID, p.Severity.String(), enf, string(report.Warn))
		if waivers {
			m.add(descFindingsWaived, prom.GaugeValue, float64(c.waivedDeny), p.Bundle, p.ID, p.Severity.String(), enf, string(report.Deny))
			m.add(descFindingsWaived, prom.GaugeValue, float64(c.waivedWarn), p.Bundle, p.ID, p.Severity.String(), enf, string(report.Warn))
		}
		for _, s := range statuses {
			m.add(descPolicyStatus, prom.GaugeValue, b2f(p.Status == s), p.Bundle, p.ID, string(s))
		}
		m.add(descPolicyDocs, prom.GaugeValue, float64(p.Documents), p.Bundle, p.ID)
	}

	dur := r.Timings.TotalSeconds
	if dur == 0 {
		dur = r.Duration.Seconds()
	}
	m.add(descScanDuration, prom.GaugeValue, dur)
	m.add(descScanPhase, prom.GaugeValue, r.Timings.CollectSeconds, "collect")
	m.add(descScanPhase, prom.GaugeValue, r.Timings.EvaluateSeconds, "evaluate")

	type ckey struct{ bundle, name string }
	cseen := map[ckey]bool{}
	for _, col := range r.Collectors {
		name := col.Type + "." + col.Name
		if cseen[ckey{col.Bundle, name}] {
			continue
		}
		cseen[ckey{col.Bundle, name}] = true
		ok := !col.Status.Failed()
		m.add(descCollectorDocs, prom.GaugeValue, float64(col.Documents), col.Bundle, name)
		m.add(descCollectorSuccess, prom.GaugeValue, b2f(ok), col.Bundle, name)
		m.add(descCollectorDuration, prom.GaugeValue, col.DurationSeconds, col.Bundle, name)
		skipped := col.SkippedTotal
		if skipped < len(col.Skipped) {
			skipped = len(col.Skipped)
		}
		m.add(descCollectorSkipped, prom.GaugeValue, float64(skipped), col.Bundle, name)
		m.add(descCollectorNA, prom.GaugeValue, b2f(col.Status == report.CollectorNotApplicable), col.Bundle, name)
		switch col.Status {
		case report.CollectorFailed:
			m.add(descCollectorFailed, prom.GaugeValue, 1, col.Bundle, name, "error")
		case report.CollectorTimeout:
			m.add(descCollectorFailed, prom.GaugeValue, 1, col.Bundle, name, "timeout")
		case report.CollectorStillRunning:
			m.add(descCollectorFailed, prom.GaugeValue, 1, col.Bundle, name, "still_running")
		}
	}

	bseen := map[string]bool{}
	for _, b := range r.Bundles {
		if bseen[b.Name] {
			continue
		}
		bseen[b.Name] = true
		m.add(descBundleInfo, prom.GaugeValue, 1, b.Name, b.Version, b.Revision, b.Digest, cleanSource(b.Source))
	}
	if r.Target.Kind != "" || r.Target.Name != "" {
		m.add(descTargetInfo, prom.GaugeValue, 1, string(r.Target.Kind), r.Target.Name, r.Target.Digest, r.Host)
	}
	dseen := map[string]bool{}
	for _, d := range r.DataSources {
		k := d.Bundle + "\x00" + d.Name
		if dseen[k] {
			continue
		}
		dseen[k] = true
		m.add(descDataUp, prom.GaugeValue, b2f(d.Up), d.Bundle, d.Name, d.Kind)
		if !d.LastSuccess.IsZero() {
			m.add(descDataLastSuccess, prom.GaugeValue, float64(d.LastSuccess.UnixNano())/1e9, d.Bundle, d.Name, d.Kind)
		}
		m.add(descDataDuration, prom.GaugeValue, d.FetchSeconds, d.Bundle, d.Name, d.Kind)
		m.add(descDataEntries, prom.GaugeValue, float64(d.Entries), d.Bundle, d.Name, d.Kind)
	}
	complianceMetrics(&m, r)
	netMetrics(&m, r.Net)
	tailoringMetrics(&m, r.Tailoring)
	return m
}

// complianceMetrics publishes the waivers' expiry and use, the scores and
// the controls' outcomes. Waivers and controls are named by the operator
// and the bundles, and bounded by them (waiver.MaxWaivers).
func complianceMetrics(m *metrics, r *report.Report) {
	if r.Waivers != nil {
		seen := map[string]bool{}
		for _, w := range r.Waivers.Entries {
			if seen[w.ID] {
				continue
			}
			seen[w.ID] = true
			if !w.ExpiresAt.IsZero() {
				m.add(descWaiverExpiry, prom.GaugeValue, float64(w.ExpiresAt.Unix()), w.ID)
			}
			m.add(descWaiverFindings, prom.GaugeValue, float64(w.Findings), w.ID)
		}
	}
	s := r.Scores
	if s == nil {
		return
	}
	if s.Overall.Score != nil {
		m.add(descScore, prom.GaugeValue, *s.Overall.Score/100, "")
	}
	for _, b := range s.Bundles {
		if b.Score != nil && b.Bundle != "" {
			m.add(descScore, prom.GaugeValue, *b.Score/100, b.Bundle)
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Controls {
		k := label(c.Control)
		if seen[k] { // a duplicate would make the registry reject the scrape
			continue
		}
		seen[k] = true
		for _, st := range statuses {
			m.add(descControlStatus, prom.GaugeValue, b2f(c.Status == st), c.Framework, c.Control, string(st))
		}
	}
}

func netMetrics(m *metrics, n *report.Net) {
	if n == nil {
		return
	}
	type iface struct{ name, mac string }
	seen := map[iface]bool{}
	dropped := 0
	for _, i := range n.Interfaces {
		k := iface{i.Name, strings.ToLower(i.MAC)}
		if seen[k] || k.mac == "" {
			continue
		}
		if len(seen) == MaxInterfaces {
			dropped++
			continue
		}
		seen[k] = true
		m.add(descIfaceInfo, prom.GaugeValue, 1, k.name, k.mac)
	}
	m.add(descNetDropped, prom.GaugeValue, float64(dropped), "interface")

	type neigh struct{ iface, ip, mac, source string }
	nseen := map[neigh]bool{}
	dropped = 0
	for _, x := range n.Neighbors {
		k := neigh{x.Interface, x.IP, strings.ToLower(x.MAC), x.Source}
		if nseen[k] || k.mac == "" {
			continue
		}
		if len(nseen) == MaxNeighbors {
			dropped++
			continue
		}
		nseen[k] = true
		m.add(descNeighborInfo, prom.GaugeValue, 1, k.iface, k.ip, k.mac, k.source)
	}
	m.add(descNetDropped, prom.GaugeValue, float64(dropped), "neighbor")
}
