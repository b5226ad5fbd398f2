package disttest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/assay-dev/assay/internal/testenv"
)

// action is the part of action.yml a runner reads.
type action struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Name  string            `yaml:"name"`
			Shell string            `yaml:"shell"`
			Run   string            `yaml:"run"`
			Env   map[string]string `yaml:"env"`
			If    string            `yaml:"if"`
			Uses  string            `yaml:"uses"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// runner runs a composite action's steps as GitHub's runner does, on this
// machine: each run script with `bash --noprofile --norc -eo pipefail`, in
// GITHUB_WORKSPACE, with the runner's environment (GITHUB_OUTPUT per step,
// GITHUB_PATH, RUNNER_TEMP, GITHUB_ACTION_PATH) and ${{ }} expressions
// evaluated. It knows only the expressions action.yml may use, and fails
// on any other, so the action cannot rely on something this test ignores.
type runner struct {
	actionPath, workspace, temp string
	env                         []string // the job's environment
	path                        []string // added by GITHUB_PATH, newest first
}

type result struct {
	outputs map[string]string // the action's outputs
	failed  string            // the step that failed, if one did
	log     string
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

func (r *runner) run(t *testing.T, with map[string]string) result {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(r.actionPath, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", a.Runs.Using)
	}
	inputs := map[string]string{}
	for name, in := range a.Inputs {
		inputs[name] = in.Default
	}
	for name, v := range with {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("action.yml has no input %q", name)
		}
		inputs[name] = v
	}
	steps := map[string]map[string]string{}
	eval := func(s string) string {
		return exprRE.ReplaceAllStringFunc(s, func(m string) string {
			e := exprRE.FindStringSubmatch(m)[1]
			switch {
			case strings.HasPrefix(e, "inputs."):
				v, ok := inputs[strings.TrimPrefix(e, "inputs.")]
				if !ok {
					t.Fatalf("action.yml uses an undeclared input: %s", m)
				}
				return v
			case e == "github.action_path":
				return r.actionPath
			case e == "github.workspace":
				return r.workspace
			case e == "runner.temp":
				return r.temp
			case strings.HasPrefix(e, "steps."):
				f := strings.Split(e, ".")
				if len(f) != 4 || f[2] != "outputs" {
					t.Fatalf("expression %s: not steps.ID.outputs.NAME", m)
				}
				return steps[f[1]][f[3]]
			}
			t.Fatalf("action.yml uses an expression this runner does not know: %s", m)
			return ""
		})
	}
	var res result
	var log strings.Builder
	for i, st := range a.Runs.Steps {
		if st.Uses != "" || st.If != "" || st.Shell != "bash" || st.Run == "" {
			t.Fatalf("step %d (%s): only run steps with shell: bash and no if: are supported here", i, st.Name)
		}
		if res.failed != "" {
			break // steps run while the earlier ones succeed
		}
		script := filepath.Join(r.temp, fmt.Sprintf("step-%d.sh", i))
		if err := os.WriteFile(script, []byte(eval(st.Run)), 0o644); err != nil {
			t.Fatal(err)
		}
		outFile, pathFile := filepath.Join(r.temp, fmt.Sprintf("output-%d", i)), filepath.Join(r.temp, fmt.Sprintf("path-%d", i))
		for _, f := range []string{outFile, pathFile} {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		env := append([]string{}, r.env...)
		pathVar := strings.Join(append(append([]string{}, r.path...), "/usr/local/bin", "/usr/bin", "/bin"), ":")
		env = append(env, "PATH="+pathVar, "GITHUB_OUTPUT="+outFile, "GITHUB_PATH="+pathFile,
			"GITHUB_ACTION_PATH="+r.actionPath, "GITHUB_WORKSPACE="+r.workspace, "RUNNER_TEMP="+r.temp,
			"RUNNER_OS=Linux", "GITHUB_ACTIONS=true", "CI=true", "HOME="+r.temp)
		for k, v := range st.Env {
			env = append(env, k+"="+eval(v))
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir, cmd.Env = r.workspace, env
		out, err := cmd.CombinedOutput()
		fmt.Fprintf(&log, "== %s\n%s", st.Name, out)
		if err != nil {
			res.failed = st.ID
		}
		steps[st.ID] = readOutputs(t, outFile)
		added, _ := os.ReadFile(pathFile)
		for _, p := range strings.Fields(string(added)) {
			r.path = append([]string{p}, r.path...)
		}
	}
	res.log = log.String()
	res.outputs = map[string]string{}
	for name, o := range a.Outputs {
		res.outputs[name] = eval(o.Value)
	}
	return res
}

// readOutputs parses a GITHUB_OUTPUT file: NAME=value lines and
// NAME<<DELIMITER blocks.
func readOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

// releases lays the dist directory out as a release page would serve it,
// DIR/download/TAG/FILE, for ASSAY_RELEASES_URL=file://DIR. tamper corrupts
// the archive after its checksum was taken.
func releases(t *testing.T, tag string, tamper bool) string {
	t.Helper()
	dir := t.TempDir()
	rel := filepath.Join(dir, "download", tag)
	if err := os.MkdirAll(rel, 0o755); err != nil {
		t.Fatal(err)
	}
	dist := distDir(t)
	for _, f := range []string{"SHA256SUMS", filepath.Base(artifact(t, "assay_*_linux_"+runtime.GOARCH+".tar.gz"))} {
		b, err := os.ReadFile(filepath.Join(dist, f))
		if err != nil {
			t.Fatal(err)
		}
		if tamper && strings.HasSuffix(f, ".tar.gz") {
			b = append(b, 0)
		}
		if err := os.WriteFile(filepath.Join(rel, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + dir
}

// TestAction runs action.yml's steps as a runner would: it installs the
// release make dist built (from a file:// mirror of the releases page,
// checked against SHA256SUMS), scans, and sets its outputs; the step fails
// as assay's exit code says.
func TestAction(t *testing.T) {
	dist := distDir(t)
	testenv.RequireTool(t, "curl", "curl")
	root := repoRoot(t)
	tag := versionOf(version(t))
	for _, tc := range []struct {
		name       string
		with       map[string]string
		tamper     bool
		wantFailed string
		wantExit   string
		wantSARIF  bool
	}{
		{"the image passes its policies", map[string]string{
			"version": tag, "image": filepath.Join(dist, "assay-image.tar"),
			"bundle": filepath.Join(root, "packaging", "image-policy"),
		}, false, "", "0", true},
		{"a root with high findings fails the step", map[string]string{
			"version": tag, "root": filepath.Join(root, "examples", "demo", "rootfs"), "fail-on": "high",
		}, false, "scan", "1", true},
		{"fail-on none reports only", map[string]string{
			"version": tag, "root": filepath.Join(root, "examples", "demo", "rootfs"), "fail-on": "none", "sarif": "out/demo.sarif",
		}, false, "", "0", true},
		{"two bundles, one per line", map[string]string{
			"version": tag, "root": filepath.Join(root, "examples", "demo", "rootfs"), "fail-on": "none",
			"bundle": filepath.Join(root, "policies", "ssh-baseline") + "\n" + filepath.Join(root, "policies", "authorized-keys") + "\n",
		}, false, "", "0", true},
		{"image and root is a usage error", map[string]string{
			"version": tag, "image": filepath.Join(dist, "assay-image.tar"), "root": root, "sarif": "",
		}, false, "scan", "2", false},
		{"a tampered archive is not installed", map[string]string{"version": tag}, true, "install", "", false},
		{"a version that is not a tag", map[string]string{"version": "../../etc"}, false, "install", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			r := &runner{actionPath: root, workspace: ws, temp: t.TempDir(),
				env: []string{"ASSAY_RELEASES_URL=" + releases(t, tag, tc.tamper)}}
			res := r.run(t, tc.with)
			t.Logf("%s", res.log)
			if res.failed != tc.wantFailed {
				t.Fatalf("failed step %q, want %q", res.failed, tc.wantFailed)
			}
			if res.outputs["exit-code"] != tc.wantExit {
				t.Errorf("exit-code = %q, want %q", res.outputs["exit-code"], tc.wantExit)
			}
			if tc.wantFailed == "install" {
				if res.outputs["version"] != "" {
					t.Errorf("version = %q after a failed install", res.outputs["version"])
				}
				return
			}
			if res.outputs["version"] != tag {
				t.Errorf("version = %q, want %q", res.outputs["version"], tag)
			}
			sarif := res.outputs["sarif"]
			if (sarif != "") != tc.wantSARIF {
				t.Fatalf("sarif output = %q, want one: %v", sarif, tc.wantSARIF)
			}
			if sarif != "" {
				b, err := os.ReadFile(filepath.Join(ws, sarif))
				if err != nil || !strings.Contains(string(b), `"version": "2.1.0"`) {
					t.Errorf("%s in the workspace: %v, not SARIF 2.1.0", sarif, err)
				}
			}
			// The binary came from the release, into RUNNER_TEMP.
			if !strings.Contains(res.log, "assay "+tag+" (") {
				t.Errorf("the installed assay did not print its version %s", tag)
			}
		})
	}
}

// TestActionInstalled: version "installed" uses the assay on PATH (a
// package on a self-hosted runner) and says so when there is none.
func TestActionInstalled(t *testing.T) {
	bin := hostBinary(t)
	root := repoRoot(t)
	ws := t.TempDir()
	r := &runner{actionPath: root, workspace: ws, temp: t.TempDir(), path: []string{filepath.Dir(bin)}}
	res := r.run(t, map[string]string{"version": "installed", "root": filepath.Join(root, "examples", "demo", "rootfs"), "fail-on": "none"})
	if res.failed != "" || res.outputs["exit-code"] != "0" || res.outputs["version"] != versionOf(version(t)) {
		t.Errorf("failed %q, outputs %v\n%s", res.failed, res.outputs, res.log)
	}
	r = &runner{actionPath: root, workspace: ws, temp: t.TempDir()}
	res = r.run(t, map[string]string{"version": "installed"})
	if res.failed != "install" || !strings.Contains(res.log, "no assay on PATH") {
		t.Errorf("without assay on PATH: failed %q\n%s", res.failed, res.log)
	}
}
