package disttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestPreCommit installs the hooks of .pre-commit-hooks.yaml with the real
// pre-commit in a throwaway policy repository and commits to it: a badly
// formatted bundle or a failing Rego test is rejected, a good bundle goes
// in. The hooks run the assay on PATH (language: system).
func TestPreCommit(t *testing.T) {
	bin := hostBinary(t)
	preCommit := testenv.RequireTool(t, "pre-commit", "pre-commit")
	git := testenv.RequireTool(t, "git", "git")
	tmp := t.TempDir()
	env := append(os.Environ(),
		"PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"),
		"HOME="+tmp, "PRE_COMMIT_HOME="+filepath.Join(tmp, "cache"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "PRE_COMMIT_COLOR=never")
	run := func(dir string, name string, args ...string) (string, error) {
		return commandErr(dir, env, name, args...)
	}
	must := func(dir string, name string, args ...string) string {
		t.Helper()
		out, err := run(dir, name, args...)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return out
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The hooks as this tree defines them, in a repository of their own
	// that pre-commit clones as it would clone assay's.
	hooks := filepath.Join(tmp, "hooks")
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(hooks, ".pre-commit-hooks.yaml"), string(b))
	must(hooks, git, "init", "-q")
	must(hooks, git, "add", ".")
	must(hooks, git, "commit", "-q", "-m", "hooks")
	rev := strings.TrimSpace(must(hooks, git, "rev-parse", "HEAD"))

	repo := filepath.Join(tmp, "policies")
	must(tmp, git, "init", "-q", repo)
	write(filepath.Join(repo, ".pre-commit-config.yaml"), "repos:\n  - repo: "+hooks+"\n    rev: "+rev+"\n    hooks:\n      - id: assay-fmt\n      - id: assay-test\n        args: [bundles/]\n")
	must(repo, preCommit, "install")
	must(repo, git, "add", ".pre-commit-config.yaml")
	must(repo, git, "commit", "-q", "--no-verify", "-m", "pre-commit")

	bundle := filepath.Join(repo, "bundles", "base")
	good := "bundle \"base\" {\n  version = \"1.0.0\"\n}\n\ncollect \"host\" \"h\" {}\n\npolicy \"named\" {\n  title       = \"The host has a name\"\n  severity    = \"low\"\n  enforcement = \"mandatory\"\n  input       = [collect.host.h]\n  rego        = file(\"rego/named.rego\")\n}\n"
	rego := "package base.named\n\ndeny contains \"no hostname\" if input.hostname == \"\"\n"
	regoTest := "package base.named_test\n\nimport data.base.named\n\ntest_named if count(named.deny) == 0 with input as {\"hostname\": \"web\"}\n"
	for _, tc := range []struct {
		name   string
		files  map[string]string
		reject string // what the rejection names; "" accepts the commit
	}{
		{"badly formatted HCL", map[string]string{"bundle.hcl": strings.Replace(good, "  version = ", "version=", 1), "rego/named.rego": rego, "rego/named_test.rego": regoTest}, "bundles/base/bundle.hcl"},
		{"badly formatted Rego", map[string]string{"bundle.hcl": good, "rego/named.rego": strings.Replace(rego, "deny contains", "deny   contains", 1), "rego/named_test.rego": regoTest}, "bundles/base/rego/named.rego"},
		{"a failing Rego test", map[string]string{"bundle.hcl": good, "rego/named.rego": rego, "rego/named_test.rego": strings.Replace(regoTest, `"web"`, `""`, 1)}, "test_named"},
		{"a good bundle", map[string]string{"bundle.hcl": good, "rego/named.rego": rego, "rego/named_test.rego": regoTest}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, data := range tc.files {
				write(filepath.Join(bundle, name), data)
			}
			must(repo, git, "add", "-A")
			out, err := run(repo, git, "commit", "-q", "-m", tc.name)
			t.Logf("git commit:\n%s", out)
			switch {
			case tc.reject == "" && err != nil:
				t.Fatalf("the commit was rejected: %v", err)
			case tc.reject != "" && err == nil:
				t.Fatal("the commit went in")
			case tc.reject != "" && !strings.Contains(out, tc.reject):
				t.Errorf("the rejection does not name %s", tc.reject)
			}
		})
	}
}
