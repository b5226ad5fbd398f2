package ldap

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/bundle/datasource/ldap/ldaptest"
)

// decode parses `data "ldap" "x" { BODY }` and decodes it.
func decode(t *testing.T, body string) (bundle.DataSource, hcl.Diagnostics) {
	t.Helper()
	src := "data \"ldap\" \"x\" {\n" + body + "\n}\n"
	f, diags := hclsyntax.ParseConfig([]byte(src), "bundle.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags)
	}
	blk := f.Body.(*hclsyntax.Body).Blocks[0]
	ds, diags := New(blk.Body, &bundle.DataEnv{})
	// Render as the CLI does, source snippets included: no secret may show.
	var out strings.Builder
	_ = hcl.NewDiagnosticTextWriter(&out, map[string]*hcl.File{"bundle.hcl": f}, 0, false).WriteDiagnostics(diags)
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("rendered diagnostics show a secret:\n%s", out.String())
	}
	return ds, diags
}

// loadSource loads a bundle of the data block and files (name → content),
// as the loader does: ca_file is read from the bundle then.
func loadSource(t *testing.T, body string, files map[string]string) (bundle.DataSource, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	files["bundle.hcl"] = "bundle \"t\" {\n  version = \"0.1.0\"\n}\ndata \"ldap\" \"x\" {\n" + body + "\n}\n"
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, diags := (&bundle.Loader{DataKinds: bundle.NewDataKinds(DataKind())}).Load(context.Background(), dir)
	if diags.HasErrors() {
		return nil, diags
	}
	return b.Live[0].Source, diags
}

// allowing is a context whose fetches may read the test's password
// variables and the files given, as the CLI's --allow-env and
// --allow-secret-file.
func allowing(t *testing.T, files ...string) context.Context {
	t.Helper()
	s, _, err := datasource.NewSecrets([]string{"ASSAY_TEST_LDAP_PASSWORD", "ASSAY_ADMIN_PW"}, files)
	if err != nil {
		t.Fatal(err)
	}
	return datasource.WithSecrets(context.Background(), s)
}

func TestDecodeErrors(t *testing.T) {
	const base = `base_dn = "dc=assay,dc=test"` + "\n"
	tests := []struct {
		name, body string
		want       string // in the diagnostics
		line       int    // of the first diagnostic's subject
	}{
		{"inline password", `url = "ldaps://ldap.example.com"` + "\n" + base + `bind_dn = "cn=a,dc=assay,dc=test"` + "\n" + `password = "hunter2-inline"`, "password_env", 5},
		{"two passwords", `url = "ldaps://h"` + "\n" + base + `bind_dn = "cn=a,dc=x"` + "\n" + `password_env = "P"` + "\n" + `password_file = "/p"`, "not both", 6},
		{"no password", `url = "ldaps://h"` + "\n" + base + `bind_dn = "cn=a,dc=x"`, "Missing password", 4},
		{"password without dn", `url = "ldaps://h"` + "\n" + base + `password_env = "P"`, "no bind_dn", 1},
		{"credentials in url", `url = "ldaps://admin:hunter2-url@h"` + "\n" + base, "must not hold a user", 2},
		{"bad scheme", `url = "http://h"` + "\n" + base, "want ldap://", 2},
		{"dn in url", `url = "ldap://h/dc=x?uid"` + "\n" + base, "base_dn, filter", 2},
		{"bad filter", `url = "ldap://h"` + "\n" + base + `filter = "(uid=alice"`, "Invalid LDAP filter", 4},
		{"bad base dn", `url = "ldap://h"` + "\n" + `base_dn = "not a dn"`, "not a DN", 3},
		{"bad scope", `url = "ldap://h"` + "\n" + base + `scope = "subtree"`, `"base", "one", "sub"`, 4},
		{"bad timeout", `url = "ldap://h"` + "\n" + base + `timeout = "soon"`, "positive duration", 4},
		{"bad page size", `url = "ldap://h"` + "\n" + base + `page_size = 0`, "1 to 100000", 4},
		{"secret attribute", `url = "ldap://h"` + "\n" + base + `attributes = ["uid", "userPassword"]`, "never fetches", 4},
		{"starttls on ldaps", `url = "ldaps://h"` + "\n" + base + `start_tls = true`, "start_tls is for ldap://", 4},
		{"clear text password", `url = "ldap://ldap.example.com"` + "\n" + base + `bind_dn = "cn=a,dc=x"` + "\n" + `password_env = "P"`, "unencrypted", 2},
		{"ca without tls", `url = "ldap://h"` + "\n" + base + `ca_file = "/ca.pem"`, "only used with", 4},
		{"ca of the host", `url = "ldaps://h"` + "\n" + base + `ca_file = "/etc/ssl/ca.pem"`, "CA file outside the bundle", 4},
		{"relative password file", `url = "ldaps://h"` + "\n" + base + `bind_dn = "cn=a,dc=x"` + "\n" + `password_file = "pw"`, "absolute path", 5},
		{"unknown attribute", `url = "ldap://h"` + "\n" + base + `sizelimit = 3`, "Unsupported argument", 4},
		{"missing base", `url = "ldap://h"`, "base_dn", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, diags := decode(t, tt.body)
			if !diags.HasErrors() || src != nil {
				t.Fatalf("want an error, got source %v and %v", src, diags)
			}
			text := diags.Error()
			for _, d := range diags {
				text += " " + d.Detail
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("diagnostics %q lack %q", text, tt.want)
			}
			if strings.Contains(text, "hunter2") {
				t.Errorf("diagnostics quote a secret: %q", text)
			}
			line := 0
			if s := diags[0].Subject; s != nil {
				line = s.Start.Line
			} else if _, err := fmt.Sscanf(diags[0].Detail, "bundle.hcl:%d,", &line); err != nil {
				t.Errorf("a diagnostic without subject must start with its location: %q", diags[0].Detail)
			}
			if line != tt.line {
				t.Errorf("first diagnostic at line %d, want line %d", line, tt.line)
			}
		})
	}
}

func TestDecodeDefaults(t *testing.T) {
	src, diags := decode(t, `url = "ldap://127.0.0.1:389"
base_dn = "dc=assay,dc=test"
bind_dn = "cn=reader,dc=assay,dc=test"
password_env = "P"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := src.(*Source)
	if s.filter != DefaultFilter || s.pageSize != DefaultPageSize || s.timeout != DefaultTimeout ||
		s.scope != goldap.ScopeWholeSubtree || s.maxEntries != DefaultMaxEntries {
		t.Errorf("defaults not applied: %+v", s)
	}
	if got := s.String(); got != "ldap://127.0.0.1:389/dc=assay,dc=test" {
		t.Errorf("String() = %q", got)
	}
}

// people is the test directory: keys, a disabled user, a user without a
// home directory attribute, a malformed key.
var people = []ldaptest.User{
	{UID: "alice", Home: "/home/alice", Keys: []string{
		ldaptest.Key("ssh-ed25519", "alice-1", "alice@laptop"),
		ldaptest.Key("ssh-rsa", "alice-2", ""),
	}},
	{UID: "bob", Home: "/home/bob", Keys: []string{ldaptest.Key("ssh-ed25519", "bob-1", "bob")}},
	{UID: "carol", Home: "/home/carol", Shell: "/usr/sbin/nologin", Keys: []string{ldaptest.Key("ssh-ed25519", "carol-1", "")}},
	{UID: "dave", NoHome: true, Keys: []string{"ssh-ed25519 not*base64 dave"}},
}

func readerBlock(url, extra string) string {
	return fmt.Sprintf(`url = %q
bind_dn = %q
password_env = "ASSAY_TEST_LDAP_PASSWORD"
base_dn = %q
filter = "(objectClass=assayKeyHolder)"
attributes = ["uid", "homeDirectory", "loginShell", "SSHPUBLICKEY"]
timeout = "10s"
%s`, url, ldaptest.ReaderDN, ldaptest.PeopleDN, extra)
}

// read decodes and reads the block, allowing the password variables and
// files.
func read(t *testing.T, body string, files ...string) (any, hcl.Diagnostics) {
	t.Helper()
	src, diags := decode(t, body)
	if diags.HasErrors() {
		t.Fatalf("decode: %s", diags)
	}
	return src.Read(allowing(t, files...))
}

func TestReadDirectory(t *testing.T) {
	srv := ldaptest.Start(t, people, "")
	t.Setenv("ASSAY_TEST_LDAP_PASSWORD", ldaptest.ReaderPassword)
	caPEM, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	caLine := `ca_file = "ca.pem"`
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(ldaptest.ReaderPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, body string }{
		{"plain loopback", readerBlock(srv.URL, "")},
		{"ldaps with test CA", readerBlock(srv.LDAPSURL, caLine)},
		{"starttls with test CA", readerBlock(srv.URL, caLine+"\nstart_tls = true")},
		{"password file", strings.Replace(readerBlock(srv.URL, ""), `password_env = "ASSAY_TEST_LDAP_PASSWORD"`, fmt.Sprintf("password_file = %q", pwFile), 1)},
		{"one level, small pages", readerBlock(srv.URL, "scope = \"one\"\npage_size = 1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, diags := loadSource(t, tt.body, map[string]string{"ca.pem": string(caPEM)})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := src.Read(allowing(t, pwFile))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			entries := v.([]any)
			if len(entries) != len(people) {
				t.Fatalf("%d entries, want %d: %v", len(entries), len(people), entries)
			}
			alice := entries[0].(map[string]any)
			if alice["dn"] != "uid=alice,"+ldaptest.PeopleDN {
				t.Errorf("first entry %v, want alice (sorted by DN)", alice["dn"])
			}
			keys, ok := alice["SSHPUBLICKEY"].([]any)
			if !ok || len(keys) != 2 || keys[0] != people[0].Keys[0] {
				t.Errorf("alice's keys (spelled as in attributes) = %#v", alice["SSHPUBLICKEY"])
			}
			if uid, _ := alice["uid"].([]any); len(uid) != 1 || uid[0] != "alice" {
				t.Errorf("single-valued uid is not a one-element list: %#v", alice["uid"])
			}
			dave := entries[3].(map[string]any)
			if _, has := dave["homeDirectory"]; has {
				t.Errorf("dave has no homeDirectory, got %v", dave)
			}
		})
	}
}

func TestReadFailures(t *testing.T) {
	srv := ldaptest.Start(t, people, "")
	// A server that accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	tests := []struct {
		name, password, body, want string
	}{
		{"wrong password", "not-the-Password-9", readerBlock(srv.URL, ""), "refused the credentials"},
		{"unset password variable", "", readerBlock(srv.URL, ""), "ASSAY_TEST_LDAP_PASSWORD is not set"},
		{"closed port", ldaptest.ReaderPassword, readerBlock(ldaptest.ClosedURL(t), ""), "connection refused"},
		{"silent server", ldaptest.ReaderPassword, strings.Replace(readerBlock("ldap://"+silent.Addr().String(), ""), `"10s"`, `"300ms"`, 1), "timed out"},
		{"ldaps without the CA", ldaptest.ReaderPassword, readerBlock(srv.LDAPSURL, ""), "certificate"},
		{"starttls without the CA", ldaptest.ReaderPassword, readerBlock(srv.URL, "start_tls = true"), "certificate"},
		{"no such base", ldaptest.ReaderPassword, strings.Replace(readerBlock(srv.URL, ""), ldaptest.PeopleDN, "ou=nobody,"+ldaptest.BaseDN, 1), "No Such Object"},
		{"too many entries", ldaptest.ReaderPassword, readerBlock(srv.URL, "max_entries = 3"), "max_entries = 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.password == "" {
				os.Unsetenv("ASSAY_TEST_LDAP_PASSWORD")
			} else {
				t.Setenv("ASSAY_TEST_LDAP_PASSWORD", tt.password)
			}
			start := time.Now()
			v, diags := read(t, tt.body)
			if !diags.HasErrors() || v != nil {
				t.Fatalf("want an error, got %v", v)
			}
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("failure took %s", took)
			}
			if !datasource.IsUnavailable(diags) {
				t.Errorf("not marked unavailable (exit 3): %v", diags)
			}
			text := diags.Error()
			if !strings.Contains(text, tt.want) {
				t.Errorf("%q lacks %q", text, tt.want)
			}
			for _, secret := range []string{ldaptest.ReaderPassword, "not-the-Password-9"} {
				if strings.Contains(text, secret) {
					t.Errorf("the message shows the password: %q", text)
				}
			}
			if diags[0].Subject == nil || diags[0].Subject.Start.Line != 2 {
				t.Errorf("diagnostic should point at url (line 2): %v", diags[0].Subject)
			}
		})
	}
}

// TestSecretAttributesDropped binds as the root DN, which may read
// userPassword, and asks for every attribute: the password hash of the
// reader entry must not come back.
func TestSecretAttributesDropped(t *testing.T) {
	srv := ldaptest.Start(t, nil, "")
	t.Setenv("ASSAY_ADMIN_PW", ldaptest.AdminPassword)
	v, diags := read(t, fmt.Sprintf(`url = %q
bind_dn = %q
password_env = "ASSAY_ADMIN_PW"
base_dn = %q
scope = "base"`, srv.URL, ldaptest.AdminDN, ldaptest.ReaderDN))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	entries := v.([]any)
	if len(entries) != 1 {
		t.Fatalf("entries %v", entries)
	}
	e := entries[0].(map[string]any)
	if _, ok := e["cn"]; !ok {
		t.Errorf("all attributes were asked for, cn is missing: %v", e)
	}
	if strings.Contains(strings.ToLower(fmt.Sprint(e)), "password") || strings.Contains(fmt.Sprint(e), ldaptest.ReaderPassword) {
		t.Errorf("a password attribute came back: %v", e)
	}
	// The oracle: the same search with go-ldap directly does return it, so
	// the test above can fail.
	conn, err := goldap.DialURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.AdminDN, ldaptest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Search(goldap.NewSearchRequest(ldaptest.ReaderDN, goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if err != nil || res.Entries[0].GetAttributeValue("userPassword") == "" {
		t.Fatalf("oracle: the root DN should see userPassword (err %v)", err)
	}
}

// TestPaging reads 2,000 entries as a user the server caps at 500 entries
// per unpaged search: only a paged search gets them all.
func TestPaging(t *testing.T) {
	users := make([]ldaptest.User, 2000)
	for i := range users {
		users[i] = ldaptest.User{UID: fmt.Sprintf("user%04d", i), Home: fmt.Sprintf("/home/user%04d", i),
			Keys: []string{ldaptest.Key("ssh-ed25519", fmt.Sprint(i), "")}}
	}
	srv := ldaptest.Start(t, users, "")
	t.Setenv("ASSAY_TEST_LDAP_PASSWORD", ldaptest.ReaderPassword)

	// The oracle: unpaged, the server refuses to return more than 500.
	conn, err := goldap.DialURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.ReaderDN, ldaptest.ReaderPassword); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Search(goldap.NewSearchRequest(ldaptest.PeopleDN, goldap.ScopeWholeSubtree, 0, 0, 0, false, "(uid=*)", []string{"uid"}, nil))
	if !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		t.Fatalf("oracle: an unpaged search of 2,000 entries should exceed the size limit, got %v", err)
	}

	for _, size := range []int{100, 499, 2000} {
		t.Run(fmt.Sprintf("page_size=%d", size), func(t *testing.T) {
			v, diags := read(t, readerBlock(srv.URL, fmt.Sprintf("page_size = %d", size)))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			entries := v.([]any)
			if len(entries) != 2000 {
				t.Fatalf("%d entries, want 2000", len(entries))
			}
			seen := map[string]bool{}
			for _, e := range entries {
				seen[e.(map[string]any)["uid"].([]any)[0].(string)] = true
			}
			if len(seen) != 2000 {
				t.Errorf("%d distinct users, want 2000", len(seen))
			}
		})
	}
}

// TestPasswordAllowed: the password is read only from a variable or file
// the operator allowed, for the directory's host; a refusal points at the
// attribute and is the operator's to fix (not unavailable: exit code 2).
func TestPasswordAllowed(t *testing.T) {
	srv := ldaptest.Start(t, people, "")
	t.Setenv("ASSAY_TEST_LDAP_PASSWORD", ldaptest.ReaderPassword)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(ldaptest.ReaderPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fileBlock := strings.Replace(readerBlock(srv.URL, ""), `password_env = "ASSAY_TEST_LDAP_PASSWORD"`, fmt.Sprintf("password_file = %q", pwFile), 1)
	secrets := func(env, files []string) context.Context {
		s, _, err := datasource.NewSecrets(env, files)
		if err != nil {
			t.Fatal(err)
		}
		return datasource.WithSecrets(context.Background(), s)
	}
	tests := []struct {
		name, body string
		ctx        context.Context
		want       string // "" when the read succeeds
	}{
		{"env allowed", readerBlock(srv.URL, ""), secrets([]string{"ASSAY_TEST_LDAP_PASSWORD@127.0.0.1"}, nil), ""},
		{"env not allowed", readerBlock(srv.URL, ""), secrets(nil, nil), "--allow-env ASSAY_TEST_LDAP_PASSWORD"},
		{"env for another host", readerBlock(srv.URL, ""), secrets([]string{"ASSAY_TEST_LDAP_PASSWORD@ldap.example.com"}, nil), "not for 127.0.0.1"},
		{"file allowed", fileBlock, secrets(nil, []string{pwFile}), ""},
		{"file not allowed", fileBlock, secrets([]string{"ASSAY_TEST_LDAP_PASSWORD"}, nil), "--allow-secret-file " + pwFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, diags := decode(t, tt.body)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := src.Read(tt.ctx)
			if tt.want == "" {
				if diags.HasErrors() || len(v.([]any)) != len(people) {
					t.Fatalf("diags %v, value %v", diags, v)
				}
				return
			}
			if len(diags) != 1 || !strings.Contains(diags[0].Detail, tt.want) || datasource.IsUnavailable(diags) {
				t.Fatalf("diags %v: want one, not unavailable, saying %q", diags, tt.want)
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != 4 {
				t.Errorf("subject %v, want the password attribute (line 4)", s)
			}
		})
	}
}
