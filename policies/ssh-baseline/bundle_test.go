// Package sshbaseline_test checks the built-in ssh-baseline bundle: its Rego
// unit tests (with OPA's tester, until `assay test` runs them), the shape of
// bundle.hcl, and the policies end to end on documents the sshd_config
// collector computes.
package sshbaseline_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/collectors/sshd"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/engine/enginetest"
	"github.com/assay-dev/assay/targets"
)

// TestRegoUnitTests runs the bundle's Rego tests as `assay test` does.
func TestRegoUnitTests(t *testing.T) {
	enginetest.RunBundleTests(t, &bundle.Loader{Collectors: collector.NewRegistry(sshd.Type())}, ".", 26*3+10)
}

type bundleFile struct {
	Bundle struct {
		Name string   `hcl:"name,label"`
		Rest hcl.Body `hcl:",remain"`
	} `hcl:"bundle,block"`
	Collects []struct {
		Kind string   `hcl:"kind,label"`
		Name string   `hcl:"name,label"`
		Rest hcl.Body `hcl:",remain"`
	} `hcl:"collect,block"`
	Params []struct {
		Name string   `hcl:"name,label"`
		Rest hcl.Body `hcl:",remain"`
	} `hcl:"param,block"`
	Policies []policyBlock `hcl:"policy,block"`
}

type policyBlock struct {
	ID          string   `hcl:"id,label"`
	Title       string   `hcl:"title"`
	Severity    string   `hcl:"severity"`
	Enforcement string   `hcl:"enforcement"`
	Controls    []string `hcl:"controls"`
	Remediation string   `hcl:"remediation"`
	Rest        hcl.Body `hcl:",remain"`
}

// policies reads bundle.hcl with a minimal schema (the real loader lives in
// bundle) and maps each policy to its Rego file.
func policies(t *testing.T) map[string]string {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCLFile("bundle.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var b bundleFile
	if diags := gohcl.DecodeBody(f.Body, nil, &b); diags.HasErrors() {
		t.Fatal(diags)
	}
	out := map[string]string{}
	for _, p := range b.Policies {
		if p.Title == "" || p.Remediation == "" {
			t.Errorf("%s: title and remediation are required", p.ID)
		}
		switch p.Severity {
		case "info", "low", "medium", "high", "critical":
		default:
			t.Errorf("%s: severity %q", p.ID, p.Severity)
		}
		if p.Enforcement != "advisory" && p.Enforcement != "mandatory" {
			t.Errorf("%s: enforcement %q", p.ID, p.Enforcement)
		}
		attrs, _ := p.Rest.JustAttributes()
		rg, ok := attrs["rego"]
		if !ok {
			t.Fatalf("%s: no rego", p.ID)
		}
		// rego = file("rego/x.rego"): take the literal argument.
		src := string(rg.Expr.Range().SliceBytes(f.Bytes))
		name := strings.TrimSuffix(strings.TrimPrefix(src, `file("`), `")`)
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
		out[p.ID] = name
	}
	if len(out) < 20 {
		t.Fatalf("%d policies", len(out))
	}
	return out
}

func TestBundleShape(t *testing.T) { policies(t) }

type finding struct {
	policy, msg, path string
	line              int
}

// scan runs the collector on files and evaluates every policy.
func scan(t *testing.T, files map[string]string, spec *sshd.ConnInfo) []finding {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	c := &sshd.Collector{Path: sshd.DefaultPath}
	if spec != nil {
		c.Specs = []sshd.ConnInfo{*spec}
	}
	var docs []document.Document
	sink := sinkFunc(func(d document.Document) { docs = append(docs, d) })
	if err := c.Collect(context.Background(), collector.Env{Target: tgt}, sink); err != nil {
		t.Fatal(err)
	}
	doc := docs[len(docs)-1]
	lib, err := os.ReadFile("rego/lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	store := inmem.NewFromObject(map[string]any{"assay": map[string]any{"params": map[string]any{"ssh-baseline": defaultParams(t)}}})
	var out []finding
	for id, file := range policies(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		pkg := strings.TrimPrefix(strings.SplitN(strings.SplitN(string(src), "package ", 2)[1], "\n", 2)[0], "")
		rs, err := rego.New(rego.Query("data."+pkg+".deny"), rego.Module("lib.rego", string(lib)), rego.Module(file, string(src)), rego.Input(map[string]any(doc)), rego.Store(store)).Eval(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for _, r := range rs {
			for _, v := range r.Expressions[0].Value.([]any) {
				m := v.(map[string]any)
				line, _ := m["line"].(interface{ String() string })
				n := 0
				if line != nil {
					for _, ch := range line.String() {
						n = n*10 + int(ch-'0')
					}
				}
				out = append(out, finding{policy: id, msg: m["msg"].(string), path: m["path"].(string), line: n})
			}
		}
	}
	return out
}

// defaultParams are the values of the bundle's params, as policies read
// them when no overlay is applied.
func defaultParams(t *testing.T) map[string]any {
	t.Helper()
	b, diags := (&bundle.Loader{Collectors: collector.NewRegistry(sshd.Type())}).Load(context.Background(), ".")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	params, err := b.ParamValues()
	if err != nil {
		t.Fatal(err)
	}
	return params
}

type sinkFunc func(document.Document)

func (f sinkFunc) Emit(d document.Document) { f(d) }
func (sinkFunc) Skip(string, error)         {}

// TestEndToEnd: the trap grep-based scanners fall into is judged right.
func TestEndToEnd(t *testing.T) {
	files := map[string]string{
		"etc/ssh/sshd_config":                      "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin no\nMatch Address 10.0.0.0/8\n\tPasswordAuthentication yes\n",
		"etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
		"etc/passwd":                               "root:x:0:0:root:/root:/bin/bash\n",
	}
	got := scan(t, files, nil)
	want := map[string]finding{
		"sshd-password-auth":  {path: "/etc/ssh/sshd_config.d/50-cloud-init.conf", line: 1},
		"sshd-max-auth-tries": {path: "/etc/ssh/sshd_config", line: 0},
	}
	for id, w := range want {
		ok := false
		for _, f := range got {
			if f.policy == id && f.path == w.path && f.line == w.line {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no %s finding at %s:%d in %v", id, w.path, w.line, got)
		}
	}
	for _, f := range got {
		if f.policy == "sshd-permit-root-login" {
			t.Errorf("PermitRootLogin no is compliant: %v", f)
		}
	}
	// Without the drop-in, only a connection from 10/8 gets passwords.
	delete(files, "etc/ssh/sshd_config.d/50-cloud-init.conf")
	for _, f := range scan(t, files, nil) {
		if f.policy == "sshd-password-auth" {
			t.Errorf("no spec: unexpected %v", f)
		}
	}
	found := false
	for _, f := range scan(t, files, &sshd.ConnInfo{User: "root", Addr: "10.1.2.3"}) {
		if f.policy == "sshd-password-auth" && f.line == 5 {
			found = true
		}
	}
	if !found {
		t.Error("connection from 10.1.2.3: no finding at the Match block's line 5")
	}
}

// TestAllowListDefaults: the algorithm allow-lists replaced rules that
// named weak algorithms (-cbc, 3des, md5, -96, umac-64, sha1 ...). Their
// defaults must judge every algorithm the modelled OpenSSH releases know
// as those rules did, so that today's findings stay what they were; and
// they list nothing those releases do not know.
func TestAllowListDefaults(t *testing.T) {
	weak := map[string]func(string) bool{
		"cipher": func(c string) bool {
			return strings.HasSuffix(c, "-cbc") || strings.HasPrefix(c, "3des") || strings.Contains(c, "arcfour") ||
				strings.Contains(c, "blowfish") || c == "rijndael-cbc@lysator.liu.se"
		},
		"mac": func(m string) bool {
			return strings.Contains(m, "md5") || strings.Contains(m, "ripemd160") || strings.Contains(m, "-96") ||
				strings.HasPrefix(m, "umac-64") || m == "hmac-sha1" || m == "hmac-sha1-etm@openssh.com"
		},
		"kex": func(k string) bool { return strings.HasSuffix(k, "-sha1") },
		"key": func(string) bool { return false }, // HostKeyAlgorithms was not judged
	}
	param := map[string]string{"cipher": "ciphers_allowed", "mac": "macs_allowed", "kex": "kex_algorithms_allowed", "key": "host_key_algorithms_allowed"}
	known := map[string]map[string]bool{}
	files, err := filepath.Glob("../../collectors/sshd/releases/*.txt")
	if err != nil || len(files) < 5 {
		t.Fatalf("release tables: %v %v", files, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		section := ""
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
				section = strings.Trim(line, "[]")
				continue
			}
			if _, ok := weak[section]; ok && line != "" {
				if known[section] == nil {
					known[section] = map[string]bool{}
				}
				known[section][line] = true
			}
		}
	}
	params := defaultParams(t)
	for section, isWeak := range weak {
		allowed := map[string]bool{}
		for _, v := range params[param[section]].([]any) {
			allowed[v.(string)] = true
			if !known[section][v.(string)] {
				t.Errorf("%s lists %s, which no modelled release knows", param[section], v)
			}
		}
		if len(known[section]) < 5 {
			t.Fatalf("%s: %d algorithms known", section, len(known[section]))
		}
		for name := range known[section] {
			if isWeak(name) == allowed[name] {
				t.Errorf("%s: %s was weak=%v, allowed=%v", param[section], name, isWeak(name), allowed[name])
			}
		}
	}
}

// TestDocsListEveryParam keeps docs/policies/ssh-baseline.md's params
// table and the bundle's param blocks in step.
func TestDocsListEveryParam(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policies/ssh-baseline.md")
	if err != nil {
		t.Fatal(err)
	}
	b, diags := (&bundle.Loader{Collectors: collector.NewRegistry(sshd.Type())}).Load(context.Background(), ".")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([a-z(),\\[\\]]+) \\|").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
		if p := b.Param(string(m[1])); p == nil {
			t.Errorf("docs list param %s, which the bundle does not declare", m[1])
		} else if p.TypeName() != string(m[2]) {
			t.Errorf("docs give %s the type %s; the bundle %s", m[1], m[2], p.TypeName())
		}
	}
	for _, name := range b.ParamNames() {
		if !documented[name] {
			t.Errorf("docs/policies/ssh-baseline.md has no row for param %s", name)
		}
	}
}
