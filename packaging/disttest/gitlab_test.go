package disttest

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestGitLabExample runs what examples/gitlab/.gitlab-ci.yml's jobs run on a
// real scan: JUnit for the test report, and SARIF turned into a Code
// Quality report by its jq program, checked field by field against the
// SARIF it came from.
func TestGitLabExample(t *testing.T) {
	bin := hostBinary(t)
	jq := testenv.RequireTool(t, "jq", "jq")
	root := repoRoot(t)
	example := filepath.Join(root, "examples", "gitlab")

	// The pipeline names the files this test checks.
	raw, err := os.ReadFile(filepath.Join(example, ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var pipeline map[string]any
	if err := yaml.Unmarshal(raw, &pipeline); err != nil {
		t.Fatalf(".gitlab-ci.yml: %v", err)
	}
	reports := pipeline[".assay"].(map[string]any)["artifacts"].(map[string]any)["reports"].(map[string]any)
	if reports["junit"] != "assay.xml" || reports["codequality"] != "gl-code-quality-report.json" {
		t.Errorf("artifacts.reports = %v", reports)
	}

	dir := t.TempDir()
	sarif, junit := filepath.Join(dir, "assay.sarif"), filepath.Join(dir, "assay.xml")
	out, err := commandErr(root, nil, bin, "scan", "--root", "examples/demo/rootfs", "--fail-on", "medium",
		"-f", "junit="+junit, "-f", "sarif="+sarif)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("the demo root should fail the gate with 1: %v\n%s", err, out)
	}
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []struct {
			Cases []struct {
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, _ := os.ReadFile(junit)
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("JUnit report: %v", err)
	}
	failures := 0
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
		}
	}
	if failures == 0 {
		t.Error("the JUnit report shows no failing test case")
	}

	cq := command(t, dir, jq, "-f", filepath.Join(example, "sarif-to-codequality.jq"), "--arg", "prefix", "examples/demo/rootfs/", sarif)
	var issues []struct {
		Type, CheckName, Description, Severity, Fingerprint string
		Location                                            struct {
			Path  string
			Lines struct{ Begin int }
		}
	}
	dec := json.NewDecoder(strings.NewReader(strings.ReplaceAll(cq, `"check_name"`, `"checkname"`)))
	if err := dec.Decode(&issues); err != nil {
		t.Fatalf("code quality report: %v\n%s", err, cq)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	b, _ = os.ReadFile(sarif)
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	if len(issues) == 0 || len(issues) != len(log.Runs[0].Results) {
		t.Fatalf("%d issues from %d SARIF results", len(issues), len(log.Runs[0].Results))
	}
	seen := map[string]bool{}
	for i, is := range issues {
		if is.Type != "issue" || is.CheckName != log.Runs[0].Results[i].RuleID || !strings.HasPrefix(is.Description, is.CheckName+": ") ||
			!slices.Contains([]string{"info", "minor", "major", "critical", "blocker"}, is.Severity) || is.Location.Lines.Begin < 1 {
			t.Errorf("issue %d: %+v", i, is)
		}
		// GitLab matches issues across pipelines by fingerprint: each is
		// unique, and the paths are the repository's.
		if seen[is.Fingerprint] || is.Fingerprint == "" {
			t.Errorf("issue %d: fingerprint %q missing or repeated", i, is.Fingerprint)
		}
		seen[is.Fingerprint] = true
		if _, err := os.Stat(filepath.Join(root, is.Location.Path)); err != nil {
			t.Errorf("issue %d points at %s, not a file of the repository: %v", i, is.Location.Path, err)
		}
	}
}
