// Package ldapexample tests the examples/ldap bundle: its Rego unit tests
// through OPA's tester, and the whole bundle (HCL, data "ldap", Rego)
// against a private slapd and home directories built by the test.
//
// Until the file collector is on this branch, the test builds the file
// documents itself, in the shape docs/collectors/file.md gives (path,
// content.lines, content.truncated); the engine judges them.
package ldapexample

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/bundle/datasource/all"
	"github.com/assay-dev/assay/bundle/datasource/ldap/ldaptest"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/engine/enginetest"
)

// TestRegoUnitTests runs the bundle's Rego tests as `assay test` does:
// without contacting the directory, which only scans fetch.
func TestRegoUnitTests(t *testing.T) {
	enginetest.RunBundleTests(t, loader, ".", 15)
}

// loader loads the example with a stand-in "file" collector type, so that
// its collect blocks load; the stand-in collects nothing: the test builds
// the documents itself. The data kinds are the real ones.
var loader = &bundle.Loader{
	Collectors: collector.NewRegistry(collector.Type{Name: "file", DocumentKinds: []string{"file"}, Help: "test stand-in",
		New: func(hcl.Body, *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) { return nil, nil }}),
	DataKinds: all.Kinds(),
}

// loadBundle copies the bundle, pointed at the test directory, loads it
// and fetches its live data, as a scan does before evaluating: with the
// password variable allowed, as `--allow-env ASSAY_LDAP_PASSWORD` does.
func loadBundle(t testing.TB, url string) (*bundle.Bundle, map[string]any, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	copyBundle(t, dir, url)
	b, diags := loader.Load(context.Background(), dir)
	if diags.HasErrors() {
		return b, nil, diags
	}
	secrets, _, err := datasource.NewSecrets([]string{"ASSAY_LDAP_PASSWORD"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{}
	for _, f := range bundle.Fetch(datasource.WithSecrets(context.Background(), secrets), []*bundle.Bundle{b}) {
		diags = append(diags, f.Diags...)
		data[f.Name] = f.Value
	}
	return b, data, diags
}

// copyBundle copies the bundle to dir, pointed at the test directory at url.
func copyBundle(t testing.TB, dir, url string) {
	t.Helper()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if p == "bundle.hcl" {
			r := strings.NewReplacer(
				`"ldaps://ldap.example.com"`, fmt.Sprintf("%q", url),
				`"cn=assay,ou=services,dc=example,dc=com"`, fmt.Sprintf("%q", ldaptest.ReaderDN),
				`"ou=people,dc=example,dc=com"`, fmt.Sprintf("%q", ldaptest.PeopleDN),
				`(objectClass=posixAccount)`, `(objectClass=assayKeyHolder)`)
			src = []byte(r.Replace(string(src)))
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), src, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fileDocs builds the documents the bundle's collect blocks ask for:
// authorized_keys files under root/home (depth ≤ 3) and root/etc/passwd.
func fileDocs(t testing.TB, root string) []any {
	t.Helper()
	var docs []any
	add := func(abs, collector string) {
		src, err := os.ReadFile(filepath.Join(root, abs))
		if err != nil {
			return // the collector skips unreadable files
		}
		text := strings.TrimSuffix(string(src), "\n")
		lines := []any{}
		if text != "" {
			for _, l := range strings.Split(text, "\n") {
				lines = append(lines, l)
			}
		}
		docs = append(docs, map[string]any{"kind": "file", "collector": collector, "path": abs,
			"content": map[string]any{"lines": lines, "truncated": false}})
	}
	homes, _ := os.ReadDir(filepath.Join(root, "home"))
	for _, h := range homes {
		add("/home/"+h.Name()+"/.ssh/authorized_keys", "authorized_keys")
	}
	add("/etc/passwd", "passwd")
	return docs
}

// evaluator judges documents with the real engine (compiled once).
type evaluator struct {
	b   *bundle.Bundle
	eng *engine.Engine
}

func newEvaluator(t testing.TB, b *bundle.Bundle, data map[string]any) *evaluator {
	t.Helper()
	eng, err := engine.New(context.Background(), []*bundle.Bundle{b})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.SetData(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	return &evaluator{b: b, eng: eng}
}

// findings returns "policy: msg" for every finding.
func (e *evaluator) findings(t testing.TB, docs []any) []string {
	t.Helper()
	in := engine.Input{}
	for _, d := range docs {
		doc := d.(map[string]any)
		in.Documents = append(in.Documents, document.Entry{Bundle: e.b.Name, CollectorID: "file." + doc["collector"].(string), Document: doc})
	}
	res, err := e.eng.Eval(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.PolicyID+": "+f.Message)
	}
	for _, p := range res.Policies {
		if p.Error != "" {
			t.Fatalf("policy %s: %s", p.ID, p.Error)
		}
	}
	sort.Strings(out)
	return out
}

func writeFile(t testing.TB, root, name, text string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBundleAgainstDirectory(t *testing.T) {
	key := func(seed string) string { return ldaptest.Key("ssh-ed25519", seed, "") }
	users := []ldaptest.User{
		{UID: "alice", Home: "/home/alice", Keys: []string{key("alice-1") + " alice@laptop", ldaptest.Key("ssh-rsa", "alice-2", "")}},
		{UID: "bob", Home: "/home/bob", Keys: []string{key("bob-1")}},
		{UID: "carol", Home: "/home/carol", Shell: "/usr/sbin/nologin", Keys: []string{key("carol-1")}},
		{UID: "dave", NoHome: true, Keys: []string{key("dave-1")}},
		{UID: "erin", Home: "/home/erin", Keys: []string{key("erin-1")}},
		{UID: "frank", Home: "/home/frank", Keys: []string{key("frank-1"), "ssh-ed25519 AAAA!!notbase64 frank@broken"}},
	}
	srv := ldaptest.Start(t, users, "")
	t.Setenv("ASSAY_LDAP_PASSWORD", ldaptest.ReaderPassword)

	root := t.TempDir()
	writeFile(t, root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndave:x:1003:100::/home/dave:/bin/bash\n")
	writeFile(t, root, "home/alice/.ssh/authorized_keys", "# managed\n"+key("alice-1")+" laptop\n"+ldaptest.Key("ssh-rsa", "alice-2", "old comment")+"\n")
	writeFile(t, root, "home/bob/.ssh/authorized_keys", key("bob-1")+"\n"+key("mallory")+" mallory@evil\n")
	writeFile(t, root, "home/carol/.ssh/authorized_keys", key("carol-1")+"\n")
	writeFile(t, root, "home/dave/.ssh/authorized_keys", `no-pty,command="/bin/echo hi there" `+key("dave-1")+" dave\n"+
		`from="10.0.0.0/8" `+key("alice-1")+"\n")
	// erin has no file; frank's file holds his good key.
	writeFile(t, root, "home/frank/.ssh/authorized_keys", key("frank-1")+"\n")
	// A local account not in the directory is not judged.
	writeFile(t, root, "home/localadmin/.ssh/authorized_keys", key("local")+"\n")

	b, data, diags := loadBundle(t, srv.URL)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, ok := b.Data["directory"]; ok {
		t.Error("the directory was read when the bundle loaded; it is fetched before evaluation")
	}
	if n := len(data["directory"].([]any)); n != len(users) {
		t.Fatalf("data.directory has %d entries, want %d", n, len(users))
	}
	got := newEvaluator(t, b, data).findings(t, fileDocs(t, root))
	want := []string{
		"ldap-authorized-keys: /home/bob/.ssh/authorized_keys:2: a ssh-ed25519 key that is not one of bob's keys in the directory",
		"ldap-authorized-keys: /home/carol/.ssh/authorized_keys:1: carol is disabled in the directory but this ssh-ed25519 key still grants access",
		"ldap-authorized-keys: /home/dave/.ssh/authorized_keys:2: a ssh-ed25519 key that is not one of dave's keys in the directory",
		"ldap-authorized-keys: erin has keys in the directory but /home/erin/.ssh/authorized_keys is missing or unreadable",
		`ldap-directory-keys: uid=frank,ou=people,dc=assay,dc=test: sshPublicKey value 2 is not a well-formed public key: "ssh-ed25519 AAAA!!notbase64 frank@broken"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBundleDirectoryFailures(t *testing.T) {
	srv := ldaptest.Start(t, []ldaptest.User{{UID: "alice", Home: "/home/alice"}}, "")
	tests := []struct{ name, url, password, want string }{
		{"directory down", ldaptest.ClosedURL(t), ldaptest.ReaderPassword, "connection refused"},
		{"wrong password", srv.URL, "wrong-Pass-42", "refused the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ASSAY_LDAP_PASSWORD", tt.password)
			_, _, diags := loadBundle(t, tt.url)
			if !diags.HasErrors() {
				t.Fatal("the bundle loaded without its directory")
			}
			// Exit code 3, not 2: the bundle is fine, the scan cannot run.
			if !datasource.IsUnavailable(diags) {
				t.Errorf("not marked unavailable: %v", diags)
			}
			if msg := diags.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, tt.password) {
				t.Errorf("message %q: want %q and no password", msg, tt.want)
			}
		})
	}
}
