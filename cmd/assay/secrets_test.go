package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/assay-dev/assay/bundle/datasource/ldap/ldaptest"
)

// TestHeadersEnvAllowed is the second reproduction: headers_env
// named any variable of the scanning process and sent it to the bundle's
// URL. Now the header goes only when the operator allowed the variable
// (for that host); otherwise no request is made, and the run ends with
// exit code 2 and a diagnostic at the variable's name. What the server
// answers is redacted of the token.
func TestHeadersEnvAllowed(t *testing.T) {
	const token = "Bearer t0ken-of-the-scanner"
	t.Setenv("ASSAY_CLI_TOKEN", token)
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		// A server that echoes what it was sent.
		fmt.Fprintf(w, `{"you_sent": %q, "b64": %q}`, r.Header.Get("Authorization"), base64.StdEncoding.EncodeToString([]byte(r.Header.Get("Authorization"))))
	}))
	t.Cleanup(srv.Close)
	dir := dataBundle(t, fmt.Sprintf(`data "http" "inventory" {
  url         = %q
  headers_env = { Authorization = "ASSAY_CLI_TOKEN" }
}
`, srv.URL+"/inventory.json"))
	root := t.TempDir()
	docs := filepath.Join(t.TempDir(), "docs.json")
	if err := os.WriteFile(docs, []byte(`{"kind": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		sent bool
		want string // in stderr
	}{
		{"data, not allowed", []string{"data", "-b", dir}, 2, false, "bundle.hcl:6:35: error: Secret not allowed"},
		{"scan, not allowed", []string{"scan", "-b", dir, "--root", root}, 2, false, "--allow-env ASSAY_CLI_TOKEN"},
		{"eval, not allowed", []string{"eval", "-b", dir, "--documents", docs}, 2, false, "--allow-env ASSAY_CLI_TOKEN"},
		{"another variable allowed", []string{"data", "-b", dir, "--allow-env", "ASSAY_OTHER"}, 2, false, "--allow-env ASSAY_CLI_TOKEN"},
		{"allowed for another host", []string{"data", "-b", dir, "--allow-env", "ASSAY_CLI_TOKEN@cmdb.example.com"}, 2, false,
			"allowed only for cmdb.example.com, not for 127.0.0.1"},
		{"data, allowed", []string{"data", "-b", dir, "--allow-env", "ASSAY_CLI_TOKEN"}, 0, true, "data http " + srv.URL},
		{"data, allowed for this host", []string{"data", "-b", dir, "--allow-env", "ASSAY_CLI_TOKEN@127.0.0.1"}, 0, true, "data http"},
		{"scan, allowed", []string{"scan", "-b", dir, "--root", root, "--allow-env", "ASSAY_CLI_TOKEN", "-f", "json", "--allow-empty"}, 0, true, ""}, // a bundle of data only checks nothing
		{"eval, allowed", []string{"eval", "-b", dir, "--documents", docs, "--allow-env", "ASSAY_CLI_TOKEN", "-f", "json"}, 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			stdout, stderr, code := execute(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if sent := len(got) > 0; sent != tt.sent {
				t.Errorf("requests %q: want the header sent %v", got, tt.sent)
			}
			for _, h := range got {
				if h != token {
					t.Errorf("Authorization %q, want the variable's value", h)
				}
			}
			if out := stdout + stderr; strings.Contains(out, "t0ken") || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(token))[:20]) {
				t.Errorf("the token shows in the output:\n%s", out)
			}
			if tt.args[0] == "data" && tt.code == 0 && !strings.Contains(stdout, `"you_sent": "[redacted]"`) {
				t.Errorf("the server's echo is not redacted: %s", stdout)
			}
		})
	}
}

// TestPasswordFileAllowed: password_file reads a file of the scanning
// host only when the operator allowed it; allowed, it binds to a real
// directory (slapd).
func TestPasswordFileAllowed(t *testing.T) {
	srv := ldaptest.Start(t, []ldaptest.User{{UID: "alice", Home: "/home/alice"}}, "")
	pw := filepath.Join(t.TempDir(), "ldap-password")
	if err := os.WriteFile(pw, []byte(ldaptest.ReaderPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := dataBundle(t, strings.Replace(ldapBlock(srv.URL), `password_env = "ASSAY_CLI_TEST_PW"`, fmt.Sprintf("password_file = %q", pw), 1))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not allowed", nil, 2, "--allow-secret-file " + pw},
		{"allowed", []string{"--allow-secret-file", pw}, 0, "1 entries"},
		{"allowed for this host", []string{"--allow-secret-file", pw + "@127.0.0.1"}, 0, "1 entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := execute(t, append([]string{"data", "-b", dir}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
			if strings.Contains(stdout+stderr, ldaptest.ReaderPassword) {
				t.Error("the password appears in the output")
			}
		})
	}
}
