package datasource

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
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

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, want, err string
	}{
		{"file with newline", write("pw", "pa55-file\r\n"), "pa55-file", ""},
		{"empty file", write("empty", "\n"), "", "is empty"},
		{"missing file", filepath.Join(dir, "nope"), "", "no such file"},
		{"huge file", write("huge", strings.Repeat("x", maxSecretFile+1)), "", "larger than"},
		{"fifo", fifo, "", "not a regular file"},
		{"directory", dir, "", "not a regular file"},
	}
	var allowed []string
	for _, tt := range tests {
		allowed = append(allowed, tt.file)
	}
	s, _, err := NewSecrets(nil, allowed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got, err := s.File(tt.file, "ldap.example.com")
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: File = %q, %v; want %q, %q", tt.name, got, err, tt.want, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "pa55") {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
}

// TestSecretsAllow: a secret is read only when the operator allowed it,
// for the host it goes to; the refusal says which flag allows it.
func TestSecretsAllow(t *testing.T) {
	t.Setenv("ASSAY_T_ANY", "any-host-pa55")
	t.Setenv("ASSAY_T_BOUND", "bound-pa55word")
	t.Setenv("ASSAY_T_OTHER", "other-pa55word")
	pw := filepath.Join(t.TempDir(), "pw@x")
	if err := os.WriteFile(pw, []byte("file-pa55word\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, short, err := NewSecrets([]string{"ASSAY_T_ANY", "ASSAY_T_BOUND@LDAP.example.com", "ASSAY_T_UNSET"}, []string{pw + "@ldap.example.com"})
	if err != nil || len(short) != 0 {
		t.Fatal(err, short)
	}
	tests := []struct {
		name      string
		read      func() (string, error)
		want, err string
	}{
		{"allowed for any host", func() (string, error) { return s.Env("ASSAY_T_ANY", "evil.example") }, "any-host-pa55", ""},
		{"bound, right host", func() (string, error) { return s.Env("ASSAY_T_BOUND", "ldap.EXAMPLE.com") }, "bound-pa55word", ""},
		{"bound, other host", func() (string, error) { return s.Env("ASSAY_T_BOUND", "evil.example") },
			"", "allowed only for ldap.example.com, not for evil.example: the operator must allow it with --allow-env ASSAY_T_BOUND@evil.example"},
		{"not allowed", func() (string, error) { return s.Env("ASSAY_T_OTHER", "ldap.example.com") },
			"", "ASSAY_T_OTHER is not allowed as a secret: the operator must allow it with --allow-env ASSAY_T_OTHER"},
		{"allowed but unset", func() (string, error) { return s.Env("ASSAY_T_UNSET", "h") }, "", "not set or empty"},
		{"file, right host", func() (string, error) { return s.File(pw, "ldap.example.com") }, "file-pa55word", ""},
		{"file, other host", func() (string, error) { return s.File(pw, "evil.example") }, "", "--allow-secret-file " + pw + "@evil.example"},
		{"file not allowed", func() (string, error) { return s.File("/etc/shadow", "ldap.example.com") }, "", "--allow-secret-file /etc/shadow"},
		{"nil allows nothing", func() (string, error) { return (*Secrets)(nil).Env("ASSAY_T_ANY", "h") }, "", "--allow-env ASSAY_T_ANY"},
	}
	for _, tt := range tests {
		got, err := tt.read()
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: got %q, %v; want %q, %q", tt.name, got, err, tt.want, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "pa55") {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
}

func TestNewSecretsUsage(t *testing.T) {
	tests := []struct {
		name       string
		env, files []string
		err        string
	}{
		{"bad name", []string{"A-B"}, nil, "want NAME or NAME@HOST"},
		{"empty name", []string{"@h"}, nil, "want NAME or NAME@HOST"},
		{"host with port", []string{"A@h:636"}, nil, "without scheme or port"},
		{"url as host", []string{"A@https://h"}, nil, "without scheme or port"},
		{"empty file", nil, []string{"@h"}, "want PATH"},
	}
	for _, tt := range tests {
		if _, _, err := NewSecrets(tt.env, tt.files); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
		}
	}
}

// TestSecretsValues: the held values (and their usual encodings) are what
// the pipeline redacts; too short a value is reported, not redacted.
func TestSecretsValues(t *testing.T) {
	t.Setenv("ASSAY_T_LONG", "l0ng \"pa55\"/word")
	t.Setenv("ASSAY_T_SHORT", "abc")
	s, short, err := NewSecrets([]string{"ASSAY_T_LONG", "ASSAY_T_SHORT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(short, []string{"$ASSAY_T_SHORT"}) {
		t.Errorf("short = %v", short)
	}
	got := s.Values()
	for _, want := range []string{`l0ng "pa55"/word`, "bDBuZyAicGE1NSIvd29yZA", "l0ng+%22pa55%22%2Fword", `l0ng \"pa55\"/word`} {
		if !slices.Contains(got, want) {
			t.Errorf("Values() = %q lacks %q", got, want)
		}
	}
	if slices.Contains(got, "abc") {
		t.Error("a 3-byte secret would be redacted everywhere")
	}
	for i := 1; i < len(got); i++ {
		if len(got[i]) > len(got[i-1]) {
			t.Errorf("Values() not longest first: %q", got)
		}
	}
	if (*Secrets)(nil).Values() != nil {
		t.Error("nil Secrets hold values")
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
