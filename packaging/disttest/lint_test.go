package disttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/assay-dev/assay/internal/testenv"
)

// tool builds (once per machine, into a cache outside the repository) and
// returns a pinned Go tool of packaging/tools.sh.
func tool(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "packaging", "tools.sh"), name)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("packaging/tools.sh %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// TestActionlint lints the example workflows, and action.yml as a workflow
// using it (uses: ./) sees it: actionlint checks the inputs against the
// action's metadata and, with shellcheck on PATH, the run scripts.
func TestActionlint(t *testing.T) {
	distDir(t) // with the release checks: make dist-test
	testenv.RequireTool(t, "shellcheck", "shellcheck")
	actionlint := tool(t, "actionlint")
	root := repoRoot(t)

	// A project holding the action and a workflow that uses it with every
	// input.
	proj := t.TempDir()
	b, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, "action.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	wf := `name: uses the action
on: [push]
permissions: {contents: read}
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: assay
        uses: ./
        with:
          bundle: policies/
          image: image.tar
          root: ""
          fail-on: high
          sarif: assay.sarif
          version: v1.2.3
      - env:
          CODE: ${{ steps.assay.outputs.exit-code }}
          SARIF: ${{ steps.assay.outputs.sarif }}
          VERSION: ${{ steps.assay.outputs.version }}
        run: echo "$VERSION $CODE $SARIF"
`
	if err := os.MkdirAll(filepath.Join(proj, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, ".github", "workflows", "use.yml"), []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	command(t, proj, testenv.RequireTool(t, "git", "git"), "init", "-q")
	if out, err := commandErr(proj, nil, actionlint, "-no-color"); err != nil {
		t.Errorf("actionlint on a workflow using action.yml: %v\n%s", err, out)
	}

	examples, _ := filepath.Glob(filepath.Join(root, "examples", "github-actions", "*.yml"))
	if len(examples) < 4 {
		t.Fatalf("examples/github-actions holds %d workflows", len(examples))
	}
	if out, err := commandErr(root, nil, actionlint, append([]string{"-no-color"}, examples...)...); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

// TestActionShellcheck runs shellcheck over each run script of action.yml,
// which actionlint does not look into, with its ${{ }} expressions as the
// runner would substitute them.
func TestActionShellcheck(t *testing.T) {
	shellcheck := testenv.RequireTool(t, "shellcheck", "shellcheck")
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	for _, st := range a.Runs.Steps {
		script := exprRE.ReplaceAllString(st.Run, "placeholder")
		cmd := exec.Command(shellcheck, "--shell=bash", "--severity=style", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("step %q: shellcheck: %v\n%s", st.Name, err, out)
		}
	}
}
