package sarif_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/sarif"
	"github.com/assay-dev/assay/internal/golden"
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// validator compiles the official SARIF 2.1.0 schema from shared/schemas once.
func validator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := exportertest.SharedSchema(t, "sarif-schema-2.1.0.json")
	schemaOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		c.DefaultDraft(jsonschema.Draft4)
		if schemaErr = c.AddResource(sarif.SchemaURI, doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile(sarif.SchemaURI)
	})
	if schemaErr != nil {
		t.Fatalf("compile SARIF schema %s: %v", path, schemaErr)
	}
	return schema
}

func validate(t *testing.T, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := validator(t).Validate(inst); err != nil {
		t.Fatalf("output is not valid SARIF 2.1.0: %v", err)
	}
}

func export(t *testing.T, r *report.Report, gate report.Gate) []byte {
	t.Helper()
	f := sarif.Format()
	var buf bytes.Buffer
	if err := f.New(&buf, exporters.Options{Gate: gate}).Export(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, out []byte) *sarif.Log {
	t.Helper()
	var l sarif.Log
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("decode own output: %v", err)
	}
	return &l
}

// checkGitHub asserts what GitHub code scanning requires beyond the schema:
// its documented limits, a location on every result, rule references that
// resolve, fingerprints, and a security-severity on every rule.
func checkGitHub(t *testing.T, l *sarif.Log) {
	t.Helper()
	if len(l.Runs) == 0 || len(l.Runs) > sarif.MaxRunsPerFile {
		t.Fatalf("%d runs, want 1..%d", len(l.Runs), sarif.MaxRunsPerFile)
	}
	for _, run := range l.Runs {
		rules := run.Tool.Driver.Rules
		if len(rules) > sarif.MaxRulesPerRun || len(run.Results) > sarif.MaxResultsPerRun {
			t.Errorf("%d rules, %d results exceed GitHub's limits", len(rules), len(run.Results))
		}
		if run.AutomationDetails == nil || !strings.HasSuffix(run.AutomationDetails.ID, "/") {
			t.Errorf("automationDetails.id %v: want a category ending in /", run.AutomationDetails)
		}
		ids := map[string]bool{}
		for _, r := range rules {
			if ids[r.ID] {
				t.Errorf("rule %s twice", r.ID)
			}
			ids[r.ID] = true
			if r.Properties == nil || len(r.Properties.Tags) > sarif.MaxTagsPerRule || r.Properties.SecuritySeverity == "" {
				t.Errorf("rule %s: properties %+v", r.ID, r.Properties)
			}
			if r.ShortDescription == nil || r.FullDescription == nil || r.Help == nil || r.DefaultConfiguration == nil {
				t.Errorf("rule %s lacks a description, help or default level", r.ID)
			}
		}
		for i, res := range run.Results {
			if res.RuleIndex < 0 || res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
				t.Errorf("result %d: ruleIndex %d does not point at %s", i, res.RuleIndex, res.RuleID)
			}
			if n := len(res.Locations); n != 1 || res.Locations[0].PhysicalLocation == nil {
				t.Errorf("result %d: %d locations, want one physical location", i, n)
			} else if loc := res.Locations[0].PhysicalLocation.ArtifactLocation; loc.URIBaseID != sarif.TargetRoot || loc.URI == "" || strings.HasPrefix(loc.URI, "/") {
				t.Errorf("result %d: artifact location %+v is not relative to %s", i, loc, sarif.TargetRoot)
			}
			if res.PartialFingerprints["primaryLocationLineHash"] == "" {
				t.Errorf("result %d: no primaryLocationLineHash", i)
			}
		}
		if len(run.Invocations) != 1 || run.Invocations[0].ExitCode == nil {
			t.Errorf("want one invocation with an exit code: %+v", run.Invocations)
		}
		if _, ok := run.OriginalURIBaseIDs[sarif.TargetRoot]; !ok {
			t.Errorf("originalUriBaseIds lacks %s", sarif.TargetRoot)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, c := range exportertest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			out := export(t, c.Report, report.Gate{FailOn: report.SeverityMedium})
			validate(t, out)
			checkGitHub(t, decode(t, out))
			golden.Check(t, c.Name+".sarif.json", out)
		})
	}
}

// TestGoldenFilesValid validates the committed golden files themselves, so a
// hand edit that breaks them is caught even before the comparison.
func TestGoldenFilesValid(t *testing.T) {
	files, err := filepath.Glob("testdata/*.sarif.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, b)
	}
}

// TestSchemaRejects proves the validator is armed: broken logs fail.
func TestSchemaRejects(t *testing.T) {
	good := export(t, exportertest.Violations(), report.Gate{})
	breakers := map[string]func(m map[string]any){
		"wrong version": func(m map[string]any) { m["version"] = "2.0.0" },
		"no runs":       func(m map[string]any) { delete(m, "runs") },
		"bad level": func(m map[string]any) {
			run := m["runs"].([]any)[0].(map[string]any)
			run["results"].([]any)[0].(map[string]any)["level"] = "fatal"
		},
		"zero start line": func(m map[string]any) {
			run := m["runs"].([]any)[0].(map[string]any)
			loc := run["results"].([]any)[0].(map[string]any)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["region"] = map[string]any{"startLine": 0}
		},
		"unknown member": func(m map[string]any) { m["extra"] = true },
	}
	for name, breakIt := range breakers {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			breakIt(m)
			b, _ := json.Marshal(m)
			inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			var ve *jsonschema.ValidationError
			if err := validator(t).Validate(inst); !errors.As(err, &ve) {
				t.Fatalf("schema accepted a broken log (err %v)", err)
			}
		})
	}
}

func TestExitCodeAndSuccess(t *testing.T) {
	for _, tc := range []struct {
		name    string
		r       *report.Report
		gate    report.Gate
		code    int
		success bool
	}{
		// the violations report has an erroring policy: exit 3 unless a
		// mandatory violation at or above the gate wins with 1.
		{"violation fails the gate", exportertest.Violations(), report.Gate{FailOn: report.SeverityHigh}, 1, true},
		{"gate above every finding", exportertest.Violations(), report.Gate{FailOn: report.SeverityCritical}, 3, false},
		{"gate disabled", exportertest.Violations(), report.Gate{Disabled: true}, 3, false},
		{"clean", exportertest.CleanImage(), report.Gate{}, 0, true},
		{"advisory only", exportertest.RootPaths(), report.Gate{}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := decode(t, export(t, tc.r, tc.gate))
			inv := l.Runs[0].Invocations[0]
			if *inv.ExitCode != tc.code || inv.ExecutionSuccessful != tc.success {
				t.Errorf("exit %d success %v, want %d %v", *inv.ExitCode, inv.ExecutionSuccessful, tc.code, tc.success)
			}
		})
	}
}

func TestNotifications(t *testing.T) {
	l := decode(t, export(t, exportertest.Violations(), report.Gate{}))
	var got []string
	for _, n := range l.Runs[0].Invocations[0].ToolExecutionNotifications {
		got = append(got, n.Level+" "+n.Descriptor.ID+" "+n.Message.Text)
	}
	want := []string{
		"warning collector-skip collector file.authorized_keys skipped /root/.ssh/authorized_keys: permission denied",
		"warning collector-skip collector file.authorized_keys skipped /home/bob/.ssh: not a regular file",
		"warning collector-skip collector file.authorized_keys skipped 3 more items",
		"note collector-skip-summary collector file.authorized_keys skipped 3 item(s): permission denied",
		"note collector-skip-summary collector file.authorized_keys skipped 2 item(s): not a regular file",
		"error collector-timeout collector file.slow timeout: context deadline exceeded after 5m0s",
		"error collector-failed collector netmac.lan failed: read /proc/net/arp: permission denied",
		"error policy-error policy ssh-baseline/sshd-match could not be evaluated: eval_conflict_error: functions must not produce multiple outputs",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRulesAndLevels(t *testing.T) {
	l := decode(t, export(t, exportertest.Violations(), report.Gate{}))
	run := l.Runs[0]
	if n := len(run.Tool.Driver.Rules); n != 7 {
		t.Errorf("%d rules, want one per policy (7)", n)
	}
	byID := map[string]sarif.ReportingDescriptor{}
	for _, r := range run.Tool.Driver.Rules {
		byID[r.ID] = r
	}
	pw := byID["ssh-baseline/sshd-password-auth"]
	if pw.Properties.SecuritySeverity != "8.0" || pw.DefaultConfiguration.Level != "error" ||
		!reflect.DeepEqual(pw.Properties.Tags, []string{"security", "CIS-5.2.12", "NIST-IA-2"}) ||
		!strings.Contains(pw.Help.Markdown, "PasswordAuthentication no") {
		t.Errorf("password rule: %+v %+v %+v", pw.Properties, pw.DefaultConfiguration, pw.Help)
	}
	levels := map[string]string{}
	for _, res := range run.Results {
		levels[res.RuleID] = res.Level
	}
	want := map[string]string{
		"ssh-baseline/sshd-password-auth": "error",   // high
		"files/authorized-keys-format":    "warning", // medium
		"files/rogue-mac":                 "note",    // low
		"ssh-baseline/sshd-banner":        "note",    // info warn
	}
	if !reflect.DeepEqual(levels, want) {
		t.Errorf("levels %v, want %v", levels, want)
	}
	if run.Tool.Driver.SemanticVersion != "1.2.3" {
		t.Errorf("semanticVersion %q", run.Tool.Driver.SemanticVersion)
	}
}

func TestSecuritySeverityBands(t *testing.T) {
	// GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
	bands := map[report.Severity][2]float64{
		report.SeverityCritical: {9.0, 10}, report.SeverityHigh: {7.0, 8.9},
		report.SeverityMedium: {4.0, 6.9}, report.SeverityLow: {0.1, 3.9}, report.SeverityInfo: {0.1, 3.9},
	}
	for s, b := range bands {
		var v float64
		if _, err := fmt.Sscan(sarif.SecuritySeverity(s), &v); err != nil || v < b[0] || v > b[1] {
			t.Errorf("%s: security-severity %q outside GitHub's band %v", s, sarif.SecuritySeverity(s), b)
		}
	}
}

// TestFingerprintsStable: moving a finding to another line keeps both
// fingerprints; a repeated message on the same file gets its own occurrence.
func TestFingerprintsStable(t *testing.T) {
	a := exportertest.Violations()
	b := exportertest.Violations()
	for i := range b.Findings {
		b.Findings[i].Line += 10
	}
	ra := decode(t, export(t, a, report.Gate{})).Runs[0].Results
	rb := decode(t, export(t, b, report.Gate{})).Runs[0].Results
	seen := map[string]bool{}
	for i := range ra {
		if !reflect.DeepEqual(ra[i].PartialFingerprints, rb[i].PartialFingerprints) {
			t.Errorf("result %d: fingerprints changed with the line: %v vs %v", i, ra[i].PartialFingerprints, rb[i].PartialFingerprints)
		}
		h := ra[i].PartialFingerprints["primaryLocationLineHash"]
		if seen[h] {
			t.Errorf("line hash %s used twice", h)
		}
		seen[h] = true
	}
}

func TestAutomationIDPerTarget(t *testing.T) {
	img := func(name string) string {
		r := exportertest.CleanImage()
		r.Target.Name = name
		return decode(t, export(t, r, report.Gate{})).Runs[0].AutomationDetails.ID
	}
	a, b := img("registry.example/a:1"), img("registry.example/b:1")
	if a == b {
		t.Errorf("two images share the category %q", a)
	}
	if a != "assay/image/registry.example/a:1/" {
		t.Errorf("id %q", a)
	}
	host := decode(t, export(t, exportertest.Violations(), report.Gate{})).Runs[0].AutomationDetails.ID
	if host != "assay/host/web-1/" {
		t.Errorf("host id %q", host)
	}
}

func TestLimits(t *testing.T) {
	r := exportertest.Violations()
	controls := make([]string, 30)
	for i := range controls {
		controls[i] = fmt.Sprintf("C-%02d", i)
	}
	r.Policies[0].Controls = controls
	base := r.Findings[0]
	r.Findings = nil
	for i := range sarif.MaxResultsPerRun + 7 {
		f := base
		f.Message = fmt.Sprintf("finding %d", i)
		f.ComputeFingerprint()
		r.Findings = append(r.Findings, f)
	}
	// Build, not Export: validating 25,000 results against the schema takes
	// half a minute under -race, and the golden cases validate the shape.
	l, err := sarif.Build(r, report.Gate{})
	if err != nil {
		t.Fatal(err)
	}
	checkGitHub(t, l)
	run := l.Runs[0]
	if n := len(run.Results); n != sarif.MaxResultsPerRun {
		t.Errorf("%d results, want the limit %d", n, sarif.MaxResultsPerRun)
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if last := notes[len(notes)-1]; last.Descriptor.ID != "results-truncated" || !strings.Contains(last.Message.Text, "7 least severe") {
		t.Errorf("no truncation notice: %+v", last)
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule.ID == "ssh-baseline/sshd-password-auth" && len(rule.Properties.Tags) != sarif.MaxTagsPerRule {
			t.Errorf("%d tags, want the limit %d", len(rule.Properties.Tags), sarif.MaxTagsPerRule)
		}
	}
}

func TestBadReports(t *testing.T) {
	r := exportertest.Violations()
	r.Policies = append(r.Policies, r.Policies[0])
	var buf bytes.Buffer
	if err := sarif.New(&buf, exporters.Options{}).Export(context.Background(), r); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate policy: err %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes on error", buf.Len())
	}
	// A finding whose policy the report does not list still gets a rule.
	r = exportertest.Violations()
	r.Policies = nil
	out := export(t, r, report.Gate{})
	validate(t, out)
	checkGitHub(t, decode(t, out))

	exportertest.CheckErrors(t, func(w io.Writer) exporters.Exporter { return sarif.New(w, exporters.Options{}) })
}

// TestReportUnchanged: exporting never reorders or edits the caller's report.
func TestReportUnchanged(t *testing.T) {
	r := exportertest.Violations()
	r.Findings[0], r.Findings[4] = r.Findings[4], r.Findings[0]
	before := *r
	before.Findings = append([]report.Finding(nil), r.Findings...)
	export(t, r, report.Gate{})
	if !reflect.DeepEqual(before.Findings, r.Findings) {
		t.Error("export reordered the report's findings")
	}
}

func BenchmarkExport(b *testing.B) {
	r := exportertest.Violations()
	base := r.Findings[0]
	r.Findings = nil
	for i := range 5000 {
		f := base
		f.Message = fmt.Sprintf("finding %d", i)
		f.Line = i + 1
		f.ComputeFingerprint()
		r.Findings = append(r.Findings, f)
	}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := sarif.New(&buf, exporters.Options{}).Export(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// TestNotificationStillRunning: a collector not started because its
// earlier run has not returned is an error notification, as a timeout is.
func TestNotificationStillRunning(t *testing.T) {
	r := exportertest.Violations()
	r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: "files", Type: "file", Name: "stuck", Status: report.CollectorStillRunning,
		Error: "not started: its run from an earlier scan has not returned since it was abandoned 3s ago, past its deadline"})
	l := decode(t, export(t, r, report.Gate{}))
	want := "error collector-still_running collector file.stuck still_running: not started: its run from an earlier scan has not returned since it was abandoned 3s ago, past its deadline"
	for _, n := range l.Runs[0].Invocations[0].ToolExecutionNotifications {
		if got := n.Level + " " + n.Descriptor.ID + " " + n.Message.Text; got == want {
			return
		}
	}
	t.Errorf("no notification %q", want)
}
