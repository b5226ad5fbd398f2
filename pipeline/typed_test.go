package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
)

// TestTypedBuiltinStyles: a field misspelled in the real files of every
// built-in bundle and of the example bundles, in each one's own style
// (helpers of a library package, a library reading input directly,
// direct reads, aggregate documents), fails compilation at its line with
// a suggestion; unchanged, each compiles.
func TestTypedBuiltinStyles(t *testing.T) {
	tests := []struct {
		dir, file, from, to string
		want                []string
	}{
		{"policies/ssh-baseline", "rego/x11_forwarding.rego", `lib.setting("x11forwarding")`, `lib.setting("x11forwardin")`,
			[]string{"rego/x11_forwarding.rego:9,", `Did you mean "x11forwarding"?`}},
		{"policies/openssh-vulnerabilities", "rego/lib.rego", `from_database if input.version_source in`, `from_database if input.version_sorce in`,
			[]string{"rego/lib.rego:233,", `Did you mean "version_source"?`}},
		{"policies/openssh-vulnerabilities", "rego/cve_2024_6387.rego", `input.settings.logingracetime != "0"`, `input.settings.LoginGraceTime != "0"`,
			[]string{"rego/cve_2024_6387.rego:13,", `Keys are lower-case: "logingracetime".`}},
		{"policies/rogue-hosts", "rego/local_neighbor.rego", `lib.norm(input.mac)`, `lib.norm(input.mca)`,
			[]string{"rego/local_neighbor.rego:11,", `Did you mean "mac"?`}},
		// fleet mode: input.targets[_].documents[_] is typed too
		{"policies/rogue-hosts", "rego/unowned_neighbor.rego", `	some t in input.targets
	some d in t.documents
	d.kind == "net.interface"
}

owned`, `	some t in input.target
	some d in t.documents
	d.kind == "net.interface"
}

owned`,
			[]string{"rego/unowned_neighbor.rego:19,", `Did you mean "targets"?`}},
		{"policies/rogue-hosts", "rego/unowned_neighbor.rego", `d.permanent_mac != ""`, `d.permanent_mc != ""`,
			[]string{"rego/unowned_neighbor.rego:34,", `Did you mean "permanent_mac"?`}},
		{"policies/authorized-keys", "rego/known.rego", `some i, line in input.content.lines`, `some i, line in input.contents.lines`,
			[]string{"rego/known.rego:31,", `Did you mean "content"?`}},
		{"examples/ldap", "rego/authorized_keys.rego", `doc.path == "/etc/passwd"`, `doc.pth == "/etc/passwd"`,
			[]string{"rego/authorized_keys.rego:30,", `Did you mean "path"?`}},
		{"examples/github-actions/bundle", "rego/os_release.rego", `input.kind == "host"`, `input.knd == "host"`,
			[]string{"rego/os_release.rego:4,", `Did you mean "kind"?`}},
		// dist's image bundle: aggregate over image.config and file
		// documents, the config picked out by a comprehension.
		{"packaging/image-policy", "rego/non_root.rego", `user := split(config.user, ":")[0]`, `user := split(config.usr, ":")[0]`,
			[]string{"rego/non_root.rego:8,", `Did you mean "user"?`}},
	}
	env := pipeline.Builtin(report.Tool{Name: "assay"})
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.file, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(tt.dir))
			if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", tt.dir))); err != nil {
				t.Fatal(err)
			}
			compile := func() error {
				bs, err := env.LoadBundles(context.Background(), []string{dir}, pipeline.FetchOptions{})
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				_, err = env.Compile(context.Background(), bs)
				return err
			}
			if err := compile(); err != nil {
				t.Fatalf("the bundle as it is does not compile: %v", err)
			}
			path := filepath.Join(dir, tt.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(src), tt.from) {
				t.Fatalf("%s no longer has %q: update the test", tt.file, tt.from)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(src), tt.from, tt.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			err = compile()
			if err == nil {
				t.Fatal("misspelled, the bundle compiled")
			}
			got := err.Error()
			if !strings.Contains(got, "Unknown document field") || strings.Count(got, "Unknown document field") != 1 {
				t.Errorf("want one unknown field error, got %s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("diagnostic %q lacks %q", got, w)
				}
			}
		})
	}
}
