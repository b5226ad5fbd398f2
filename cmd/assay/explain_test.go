package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/golden"
)

// timings masks the durations of a summary line.
var timings = regexp.MustCompile(`in [0-9.]+m?s$`)

func maskTimings(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = timings.ReplaceAllString(l, "in TIME")
	}
	return strings.Join(lines, "\n")
}

// checkExplanationLength holds every finding's explanation (from its
// "deny"/"warn" line to the next blank line) to at most 15 lines.
func checkExplanationLength(t *testing.T, out string) {
	t.Helper()
	_, explanations, ok := strings.Cut(out, "\nexplain ")
	if !ok {
		t.Fatalf("no explanation in:\n%s", out)
	}
	for _, block := range strings.Split(explanations, "\n\n")[1:] {
		block = strings.TrimRight(block, "\n")
		if n := strings.Count(block, "\n") + 1; n > 15 {
			t.Errorf("an explanation of %d lines, want at most 15:\n%s", n, block)
		}
	}
}

// TestExplainCLI: eval --explain and scan --explain print, after the
// table, each finding of the policy with the lines of its rule that held
// and their values (golden files), at most 15 lines a finding.
func TestExplainCLI(t *testing.T) {
	bundle := filepath.Join("testdata", "explain", "keys")
	root := filepath.Join("..", "..", "examples", "demo", "rootfs")
	tmp := t.TempDir()
	docs := filepath.Join(tmp, "docs.json")
	if _, stderr, code := execute(t, "collect", "-b", bundle, "--root", root, "-o", docs); code != 0 {
		t.Fatalf("collect exited %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"eval", []string{"eval", "-b", bundle, "--documents", docs, "--explain", "no-dsa-keys"}},
		{"scan", []string{"scan", "-b", bundle, "--root", root, "--explain", "keys/few-keys"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := execute(t, tc.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (a violation)\n%s", code, stderr)
			}
			out := strings.ReplaceAll(maskTimings(stdout), tmp, "$TMP")
			golden.Check(t, filepath.Join("explain", tc.name+".golden"), []byte(out))
			checkExplanationLength(t, stdout)
		})
	}
}

// TestExplainBuiltin explains a built-in policy on the demo root
// filesystem: each finding in at most 15 lines.
func TestExplainBuiltin(t *testing.T) {
	root := filepath.Join("..", "..", "examples", "demo", "rootfs")
	stdout, stderr, code := execute(t, "scan", "--root", root, "--explain", "authorized-keys-lines")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"explain authorized-keys/authorized-keys-lines: 2 findings",
		"deny  /root/.ssh/authorized_keys:3  key type ssh-dss is not allowed",
		`e.type = "ssh-dss"`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	checkExplanationLength(t, stdout)
}

// TestExplainWhere: with a machine-readable format on stdout the
// explanation goes to stderr, and stdout stays that format; a policy that
// does not exist is a usage error, before anything is collected.
func TestExplainWhere(t *testing.T) {
	bundle := filepath.Join("testdata", "explain", "keys")
	root := filepath.Join("..", "..", "examples", "demo", "rootfs")
	stdout, stderr, code := execute(t, "scan", "-b", bundle, "--root", root, "--explain", "no-dsa-keys", "-f", "json")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Errorf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if !strings.Contains(stderr, "explain keys/no-dsa-keys: 1 finding") {
		t.Errorf("stderr lacks the explanation:\n%s", stderr)
	}

	_, stderr, code = execute(t, "scan", "-b", bundle, "--root", root, "--explain", "no-dsa-key")
	if code != 2 || !strings.Contains(stderr, `--explain: no policy "no-dsa-key" in the loaded bundles: did you mean "no-dsa-keys"?`) {
		t.Errorf("exit %d, stderr %q; want 2 and a did-you-mean", code, stderr)
	}
}
