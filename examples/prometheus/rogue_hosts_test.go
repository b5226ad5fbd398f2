package prometheus_test

import (
	"os/exec"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestRogueHostsRules runs the rogue-host recording rule and alert through
// promtool: syntax (check rules) and behaviour (test rules).
func TestRogueHostsRules(t *testing.T) {
	promtool := testenv.RequireTool(t, "promtool", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "rogue-hosts.rules.yml"},
		{"test", "rules", "rogue-hosts.test.yml"},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
