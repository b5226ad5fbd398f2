package datasource

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestIsUnavailable(t *testing.T) {
	down := UnavailableDiag("ldap", "ldap://h/dc=x", nil, "down", "connect: refused")
	bad := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument"}
	warn := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "deprecated"}
	tests := []struct {
		name  string
		diags hcl.Diagnostics
		want  bool
	}{
		{"none", nil, false},
		{"only a warning", hcl.Diagnostics{warn}, false},
		{"unavailable", hcl.Diagnostics{down, warn}, true},
		{"a bundle error too", hcl.Diagnostics{down, bad}, false},
	}
	for _, tt := range tests {
		if got := IsUnavailable(tt.diags); got != tt.want {
			t.Errorf("%s: IsUnavailable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("ASSAY_SECRET_SET", "pa55-env")
	tests := []struct {
		name, env, file, want, err string
	}{
		{"env", "ASSAY_SECRET_SET", "", "pa55-env", ""},
		{"unset env", "ASSAY_SECRET_UNSET", "", "", "ASSAY_SECRET_UNSET is not set"},
		{"file with newline", "", write("pw", "pa55-file\r\n"), "pa55-file", ""},
		{"empty file", "", write("empty", "\n"), "", "is empty"},
		{"missing file", "", filepath.Join(dir, "nope"), "", "no such file"},
		{"huge file", "", write("huge", strings.Repeat("x", maxSecretFile+1)), "", "larger than"},
	}
	for _, tt := range tests {
		got, err := Secret(tt.env, tt.file)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: Secret = %q, %v; want %q, %q", tt.name, got, err, tt.want, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "pa55") {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("https://user:pa55@h.example:8443/p/users.json?token=pa55#frag")
	if got := Redact(u); got != "https://h.example:8443/p/users.json" {
		t.Errorf("Redact = %q", got)
	}
}

func TestEntries(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want int
	}{
		{[]any{1, 2, 3}, 3}, {map[string]any{"a": 1}, 1}, {"x", 1}, {nil, 0}, {[]any{}, 0},
	} {
		if got := Entries(tt.v); got != tt.want {
			t.Errorf("Entries(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}
