package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle/datasource/ldap/ldaptest"
	"github.com/assay-dev/assay/core/exitcode"
)

// execute runs the command line in-process and returns its outputs and the
// exit code run() would give.
func execute(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	code = exitcode.Of(err, exitcode.Usage)
	if err != nil && !exitcode.Reported(err) {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func dataBundle(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	src := "bundle \"data-cli-test\" {\n  version = \"0.1.0\"\n}\n" + body
	if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "limits.json"), []byte(`{"max_keys": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ldapBlock(url string) string {
	return fmt.Sprintf(`data "ldap" "people" {
  url          = %q
  bind_dn      = %q
  password_env = "ASSAY_CLI_TEST_PW"
  base_dn      = %q
  filter       = "(uid=*)"
  attributes   = ["uid", "sshPublicKey"]
  timeout      = "5s"
}
`, url, ldaptest.ReaderDN, ldaptest.PeopleDN)
}

func TestDataCommand(t *testing.T) {
	srv := ldaptest.Start(t, []ldaptest.User{
		{UID: "alice", Home: "/home/alice", Keys: []string{ldaptest.Key("ssh-ed25519", "a", "alice")}},
		{UID: "bob", Home: "/home/bob"},
	}, "")
	t.Setenv("ASSAY_CLI_TEST_PW", ldaptest.ReaderPassword)
	dir := dataBundle(t, ldapBlock(srv.URL))

	t.Run("all data", func(t *testing.T) {
		stdout, stderr, code := execute(t, "data", "--allow-env", "ASSAY_CLI_TEST_PW", "-b", dir)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		people, _ := doc["people"].([]any)
		if len(people) != 2 || doc["limits"] == nil {
			t.Fatalf("data: %s", stdout)
		}
		alice := people[0].(map[string]any)
		if alice["dn"] != "uid=alice,"+ldaptest.PeopleDN || len(alice["sshPublicKey"].([]any)) != 1 {
			t.Errorf("alice: %v", alice)
		}
		if !strings.Contains(stderr, "data ldap "+srv.URL+"/"+ldaptest.PeopleDN+": 2 entries") {
			t.Errorf("stderr lacks the fetch summary: %q", stderr)
		}
		if strings.Contains(stdout+stderr, ldaptest.ReaderPassword) {
			t.Error("the password appears in the output")
		}
	})
	t.Run("one name", func(t *testing.T) {
		stdout, stderr, code := execute(t, "data", "--allow-env", "ASSAY_CLI_TEST_PW", "-b", dir, "limits")
		if code != 0 || strings.TrimSpace(stdout) != "{\n  \"limits\": {\n    \"max_keys\": 3\n  }\n}" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("unknown name", func(t *testing.T) {
		_, stderr, code := execute(t, "data", "--allow-env", "ASSAY_CLI_TEST_PW", "-b", dir, "nope")
		if code != 2 || !strings.Contains(stderr, "defined: limits, people") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestDataFailureExitCodes: a directory that cannot be reached is exit 3
// (the scan failed), a password in the bundle exit 2 (the bundle is wrong).
func TestDataFailureExitCodes(t *testing.T) {
	srv := ldaptest.Start(t, nil, "")
	tests := []struct {
		name, body, password string
		code                 int
		want                 string
	}{
		{"directory down", ldapBlock(ldaptest.ClosedURL(t)), ldaptest.ReaderPassword, 3, "LDAP directory unavailable"},
		{"wrong password", ldapBlock(srv.URL), "Wrong-pw-77", 3, "refused the credentials"},
		{"inline password", strings.Replace(ldapBlock(srv.URL), `password_env = "ASSAY_CLI_TEST_PW"`, `password = "Inline-pw-55"`, 1), "", 2, "password_env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ASSAY_CLI_TEST_PW", tt.password)
			stdout, stderr, code := execute(t, "data", "--allow-env", "ASSAY_CLI_TEST_PW", "-b", dataBundle(t, tt.body))
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
			for _, secret := range []string{ldaptest.ReaderPassword, "Wrong-pw-77", "Inline-pw-55"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("a password appears in the output: %s", stderr)
				}
			}
		})
	}
}
