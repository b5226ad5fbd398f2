package disttest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// units are the systemd units both packages install.
var units = []string{"assay.service", "assay-textfile.service", "assay-textfile.timer"}

// TestDebLintian: Debian's own checker finds no error in the package.
func TestDebLintian(t *testing.T) {
	deb := artifact(t, "assay_*_"+runtime.GOARCH+".deb")
	lintian := testenv.RequireTool(t, "lintian", "lintian")
	out, err := commandErr(t.TempDir(), nil, lintian, "--fail-on", "error", "--no-tag-display-limit", deb)
	t.Logf("lintian:\n%s", out)
	if err != nil {
		t.Fatalf("lintian reports errors: %v", err)
	}
}

// TestDebInstall installs the package on this machine with dpkg -i, as a
// user would, checks what it put where, verifies the systemd units, and
// removes it again (dpkg -r, then --purge). It needs root, which CI has.
func TestDebInstall(t *testing.T) {
	deb := artifact(t, "assay_*_"+runtime.GOARCH+".deb")
	testenv.RequireRoot(t, "dpkg -i installs the package")
	dpkg := testenv.RequireTool(t, "dpkg", "dpkg")
	if out, err := commandErr("/", nil, "dpkg-query", "-W", "-f=${Status}", "assay"); err == nil && strings.Contains(out, "installed") && !testenv.InCI() {
		t.Skipf("assay is already installed here (%s): this test would replace and remove it; dpkg -r assay first", out)
	}
	t.Cleanup(func() {
		if out, err := commandErr("/", nil, dpkg, "--purge", "assay"); err != nil {
			t.Errorf("dpkg --purge assay: %v\n%s", err, out)
		}
	})
	command(t, "/", dpkg, "-i", deb)

	if out := command(t, "/", "/usr/bin/assay", "version"); !strings.Contains(out, "assay "+version(t)+" ") {
		t.Errorf("assay version = %q, want version %s", out, version(t))
	}
	if out := command(t, "/", testenv.RequireTool(t, "man", "man-db"), "-w", "assay"); strings.TrimSpace(out) != "/usr/share/man/man1/assay.1.gz" {
		t.Errorf("man -w assay = %q", out)
	}
	for _, f := range []string{
		"/usr/share/man/man1/assay-scan.1.gz",
		"/usr/share/bash-completion/completions/assay",
		"/usr/share/zsh/vendor-completions/_assay",
		"/usr/share/fish/vendor_completions.d/assay.fish",
		"/etc/assay/assay.env",
		"/etc/assay/bundles", "/etc/assay/overlays", "/etc/assay/waivers",
		"/usr/share/doc/assay/copyright",
	} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	// bash itself loads the completion and binds it to assay.
	if out := command(t, "/", "bash", "-c", "source /usr/share/bash-completion/completions/assay && complete -p assay"); !strings.Contains(out, "assay") {
		t.Errorf("bash completion: %q", out)
	}
	if out := command(t, "/", "dpkg-query", "-W", "-f=${Conffiles}", "assay"); !strings.Contains(out, "/etc/assay/assay.env") {
		t.Errorf("/etc/assay/assay.env is not a conffile: %q", out)
	}

	// The installed units parse and name an executable that exists:
	// systemd-analyze verify says nothing about them.
	analyze := testenv.RequireTool(t, "systemd-analyze", "systemd")
	var paths []string
	for _, u := range units {
		paths = append(paths, filepath.Join("/lib/systemd/system", u))
	}
	out, err := commandErr("/", nil, analyze, append([]string{"verify"}, paths...)...)
	if err != nil || strings.Contains(out, "assay") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// Removing keeps the configuration, purging removes it.
	command(t, "/", dpkg, "-r", "assay")
	if _, err := os.Stat("/usr/bin/assay"); err == nil {
		t.Error("/usr/bin/assay is still there after dpkg -r")
	}
	if _, err := os.Stat("/etc/assay/assay.env"); err != nil {
		t.Errorf("dpkg -r removed the configuration: %v", err)
	}
	command(t, "/", dpkg, "--purge", "assay")
	if _, err := os.Stat("/etc/assay/assay.env"); err == nil {
		t.Error("/etc/assay/assay.env is still there after dpkg --purge")
	}
}

// TestUnitsHardened checks the systemd units as systemd sees them: they
// parse (systemd-analyze verify, with the binary they start in place), their
// exposure score stays in systemd's "OK" band, and the hardening the
// service promises is there.
func TestUnitsHardened(t *testing.T) {
	analyze := testenv.RequireTool(t, "systemd-analyze", "systemd")
	dir := filepath.Join(repoRoot(t), "packaging", "systemd")
	// systemd's exposure level, 0 to 100 (shown as 0.0 to 10.0); up to
	// 39 is "OK". Both units score about 20.
	out, err := commandErr(dir, nil, analyze, append([]string{"security", "--offline=yes", "--threshold=25"}, units[:2]...)...)
	if err != nil {
		t.Errorf("systemd-analyze security: exposure over 2.5: %v\n%s", err, out)
	}
	for unit, want := range map[string][]string{
		"assay.service": {
			"ExecStart=/usr/bin/assay serve $ASSAY_SERVE_ARGS", "DynamicUser=yes", "NoNewPrivileges=yes",
			"ProtectSystem=strict", "ReadOnlyPaths=/", "CapabilityBoundingSet=CAP_DAC_READ_SEARCH",
		},
		"assay-textfile.service": {
			"Type=oneshot", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadOnlyPaths=/",
			"CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE",
			"ReadWritePaths=-/var/lib/prometheus/node-exporter",
		},
		"assay-textfile.timer": {"OnUnitActiveSec=15min", "WantedBy=timers.target"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, unit))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for _, w := range want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%s has no line %q", unit, w)
			}
		}
	}
}

// TestRPM reads the .rpm with rpm itself: its header, files and scripts.
func TestRPM(t *testing.T) {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	rpm := artifact(t, "assay-*."+arch+".rpm")
	rpmTool := testenv.RequireTool(t, "rpm", "rpm")
	info := command(t, "/", rpmTool, "-qip", rpm)
	for _, want := range []string{"Name        : assay", "Architecture: " + arch, "Summary     : Declarative policy-as-code compliance scanner"} {
		if !strings.Contains(info, want) {
			t.Errorf("rpm -qip lacks %q:\n%s", want, info)
		}
	}
	files := command(t, "/", rpmTool, "-qlp", rpm)
	for _, want := range []string{
		"/usr/bin/assay", "/usr/share/man/man1/assay.1.gz", "/usr/share/bash-completion/completions/assay",
		"/usr/share/zsh/site-functions/_assay", "/usr/lib/systemd/system/assay.service",
		"/usr/lib/systemd/system/assay-textfile.timer", "/etc/assay/assay.env", "/etc/assay/waivers",
	} {
		if !strings.Contains(files, want+"\n") {
			t.Errorf("the rpm does not hold %s:\n%s", want, files)
		}
	}
	if conf := command(t, "/", rpmTool, "-qcp", rpm); strings.TrimSpace(conf) != "/etc/assay/assay.env" {
		t.Errorf("rpm config files = %q, want /etc/assay/assay.env", conf)
	}
	if scripts := command(t, "/", rpmTool, "-qp", "--scripts", rpm); !strings.Contains(scripts, "systemctl daemon-reload") {
		t.Errorf("the rpm's scripts do not reload systemd:\n%s", scripts)
	}
}
