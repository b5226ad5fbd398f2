// Package opensshvulns_test checks the built-in openssh-vulnerabilities
// bundle: its Rego unit tests, its version orderings against dpkg and rpm
// themselves, and the policies end to end on the distribution fixtures of
// the sshd collector.
package opensshvulns_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/collectors/sshd"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/engine/enginetest"
	"github.com/assay-dev/assay/internal/testenv"
)

func TestRegoUnitTests(t *testing.T) {
	enginetest.RunBundleTests(t, &bundle.Loader{Collectors: collector.NewRegistry(sshd.Type())}, ".", 15)
}

// versionPairs are the versions the data compares: every fixed version
// against versions around it, plus the orderings that trip naive
// comparisons.
func versionPairs(t *testing.T, source string) [][2]string {
	t.Helper()
	b, err := os.ReadFile("data/openssh_fixed.json")
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	var pairs [][2]string
	for cve, raw := range data {
		if !strings.HasPrefix(cve, "CVE-") {
			continue
		}
		var c struct {
			Fixed map[string]struct{ Version string }
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		for dist, f := range c.Fixed {
			isRpm := strings.HasPrefix(dist, "rhel:")
			if dist[:strings.IndexByte(dist, ':')] == "alpine" || isRpm != (source == "rpm") {
				continue
			}
			v := f.Version
			for _, o := range []string{v, v + "1", v + "~1", v + "+b1", strings.Replace(v, ".", ".1", 1), "0:" + strings.TrimPrefix(v, "1:"), "1:9.9p1-1", "8.0p1-1.el8"} {
				pairs = append(pairs, [2]string{v, o}, [2]string{o, v})
			}
		}
	}
	extra := [][2]string{{"1.0~rc1", "1.0"}, {"1.0", "1.0+b1"}, {"1.0a", "1.0.1"}, {"1.01", "1.1"}, {"2:1.0", "10.0"}, {"1.0-1~bpo1", "1.0-1"}, {"1.0^git1", "1.0"}, {"1.0^git1", "1.0.1"}, {"9.2p1", "9.10p1"}, {"a1", "1a"}}
	return append(pairs, extra...)
}

// regoCmp evaluates lib.FUNC(a, b).
func regoCmp(t *testing.T, fn string, a, b string) int {
	t.Helper()
	lib, err := os.ReadFile("rego/lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	r := rego.New(rego.Query(fmt.Sprintf("x := data.assay.openssh.lib.%s(%q, %q)", fn, a, b)), rego.Module("lib.rego", string(lib)))
	rs, err := r.Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("%s(%q, %q): %v %v", fn, a, b, rs, err)
	}
	n, err := rs[0].Bindings["x"].(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestDpkgOrder compares lib.dpkg_cmp with dpkg --compare-versions.
func TestDpkgOrder(t *testing.T) {
	dpkg := testenv.RequireTool(t, "dpkg", "dpkg")
	for _, p := range versionPairs(t, "dpkg") {
		want := 0
		for _, c := range []struct {
			op string
			v  int
		}{{"lt", -1}, {"gt", 1}} {
			if exec.Command(dpkg, "--compare-versions", p[0], c.op, p[1]).Run() == nil {
				want = c.v
			}
		}
		if got := regoCmp(t, "dpkg_cmp", p[0], p[1]); got != want {
			t.Errorf("dpkg_cmp(%q, %q) = %d; dpkg says %d", p[0], p[1], got, want)
		}
	}
}

// TestRpmOrder compares lib.rpm_cmp with rpm's own rpm.vercmp.
func TestRpmOrder(t *testing.T) {
	rpm := testenv.RequireTool(t, "rpm", "rpm")
	for _, p := range versionPairs(t, "rpm") {
		out, err := exec.Command(rpm, "--eval", fmt.Sprintf("%%{lua: print(rpm.vercmp(%q, %q))}", p[0], p[1])).Output()
		if err != nil {
			t.Fatalf("rpm: %v", err)
		}
		var want int
		if _, err := fmt.Sscan(string(out), &want); err != nil {
			t.Fatalf("rpm said %q", out)
		}
		if got := regoCmp(t, "rpm_cmp", p[0], p[1]); got != want {
			t.Errorf("rpm_cmp(%q, %q) = %d; rpm says %d", p[0], p[1], got, want)
		}
	}
}
