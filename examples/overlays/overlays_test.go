// Package overlays tests the example overlays: each loads against the
// built-in bundles and scans two fixture roots (the README's demo and a
// key-only server) with the findings and tailoring its golden file holds.
package overlays

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/internal/golden"
	"github.com/assay-dev/assay/pipeline"
)

// profiles are the example overlays; "" is the built-in bundles as they are.
var profiles = []string{"", "cis-level1.hcl", "cis-level2.hcl", "dev-sec.hcl", "strict-key-only.hcl"}

func TestProfiles(t *testing.T) {
	roots := map[string]string{"demo": "../demo/rootfs", "keyonly": keyOnlyRoot(t)}
	for _, profile := range profiles {
		for _, fixture := range []string{"demo", "keyonly"} {
			name := strings.TrimSuffix(profile, ".hcl")
			if name == "" {
				name = "builtin"
			}
			t.Run(name+"/"+fixture, func(t *testing.T) {
				r := scan(t, roots[fixture], profile)
				golden.Check(t, name+"."+fixture+".txt", []byte(summary(r)))
			})
		}
	}
}

// TestStrictPassesKeyOnly: the key-only fixture is what the strict profile
// describes; only the RSA user key is a finding.
func TestStrictPassesKeyOnly(t *testing.T) {
	r := scan(t, keyOnlyRoot(t), "strict-key-only.hcl")
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Bundle+"/"+f.PolicyID+": "+f.Message)
	}
	if len(got) != 1 || !strings.Contains(got[0], "key type ssh-rsa is not allowed") {
		t.Errorf("findings: %q", got)
	}
}

func scan(t *testing.T, root, profile string) *report.Report {
	t.Helper()
	cfg := pipeline.ScanConfig{Target: pipeline.TargetSpec{Root: root}, Parallel: 2}
	if profile != "" {
		cfg.Overlays = []string{profile}
	}
	env := pipeline.Builtin(report.Tool{Name: "assay", Version: "test"})
	ctx := context.Background()
	s, err := env.NewScanner(ctx, cfg)
	if err != nil {
		var de *pipeline.DiagnosticsError
		if errors.As(err, &de) {
			t.Fatalf("%s: %s", profile, de.Diags)
		}
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// summary is what the golden files compare: the policies that ran, the
// findings, and the tailoring, without times or the checkout's paths.
func summary(r *report.Report) string {
	var b strings.Builder
	counts := map[report.Status]int{}
	for _, p := range r.Policies {
		counts[p.Status]++
	}
	fmt.Fprintf(&b, "policies: %d (%d pass, %d fail, %d skip)\n", len(r.Policies), counts[report.StatusPass], counts[report.StatusFail], counts[report.StatusSkip])
	for _, f := range r.Findings {
		sev := f.Severity.String()
		if f.Enforcement == report.Advisory {
			sev += " (advisory)"
		}
		fmt.Fprintf(&b, "%s %s/%s %s: %s\n", sev, f.Bundle, f.PolicyID, f.Location(), f.Message)
	}
	if tl := r.Tailoring; !tl.Empty() {
		for _, o := range tl.Overlays {
			fmt.Fprintf(&b, "overlay %s sha256:%s\n", o.Name, o.SHA256)
		}
		for _, d := range tl.Disabled {
			fmt.Fprintf(&b, "disabled %s/%s: %s\n", d.Bundle, d.Policy, d.Reason)
		}
		for _, s := range tl.Severities {
			fmt.Fprintf(&b, "severity %s/%s %s -> %s\n", s.Bundle, s.Policy, s.From, s.To)
		}
		for _, p := range tl.Params {
			fmt.Fprintf(&b, "param %s.%s = %s (default %s)\n", p.Bundle, p.Name, report.ValueText(p.Value), report.ValueText(p.Default))
		}
	}
	return b.String()
}

// keyOnlyRoot copies testdata/keyonly and gives it an Ed25519 host key,
// made here: no private key is kept in the repository.
func keyOnlyRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/keyonly")); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "etc/ssh/ssh_host_ed25519_key")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key+".pub", ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
