package sshd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/assay-dev/assay/internal/testenv"
	"github.com/assay-dev/assay/targets"
)

// The oracle tests compare the collector with the real `sshd -T`. sshd runs
// offline, never as a service: in a private mount namespace (unshare -m)
// where the case's etc/ssh, etc/passwd and etc/group are bind-mounted over
// the host's, so that relative Includes, Match Group and "~" resolve in the
// case's files exactly as the collector resolves them inside the target.
// They need root (mounts, privsep checks), unshare(1) and openssh-server.

// testPasswd and testGroup are the accounts every case sees unless it
// brings its own files.
const testPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
sshd:x:100:65534::/run/sshd:/usr/sbin/nologin
alice:x:1000:1000:Alice:/home/alice:/bin/bash
bob:x:1001:1001:Bob:/home/bob:/bin/bash
carol:x:1002:100:Carol:/srv/carol/:/bin/bash
nogroup:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`

const testGroup = `root:x:0:
daemon:x:1:
sudo:x:27:alice
users:x:100:bob
alice:x:1000:
bob:x:1001:
sshusers:x:2000:alice,carol
nogroup:x:65534:
`

// defaultSpecs are the connection specs a case is checked with when it
// names none (besides the run without -C).
var defaultSpecs = []string{
	"user=root,host=client.example.com,addr=192.0.2.10,laddr=198.51.100.1,lport=22",
	"user=alice,host=bastion.example.org,addr=10.1.2.3,laddr=10.0.0.1,lport=2222",
	"user=bob,host=laptop.corp.example.com,addr=2001:db8::5,laddr=2001:db8::1,lport=22",
	"user=carol,host=x,addr=172.16.5.4,laddr=127.0.0.1,lport=22",
}

type oracle struct {
	sshd, key string
}

var (
	oracleOnce sync.Once
	oracleVal  *oracle
	oracleSkip string
)

// needOracle skips the test unless sshd -T can run here (in CI it fails
// it instead: see internal/testenv).
func needOracle(t testing.TB) *oracle {
	t.Helper()
	testenv.RequireRoot(t, "the sshd oracle bind-mounts each case's files in a private mount namespace; sshd -T checks its privsep directory")
	testenv.RequireCapability(t, testenv.CapSysAdmin, "unshare --mount and mount --bind for the sshd oracle")
	sshd := testenv.RequireTool(t, "sshd", "openssh-server")
	testenv.RequireTool(t, "unshare", "util-linux")
	testenv.RequireTool(t, "mount", "mount")
	testenv.RequireTool(t, "ssh-keygen", "openssh-client")
	oracleOnce.Do(func() {
		out, _ := exec.Command(sshd, "-V").CombinedOutput()
		if !bytes.Contains(out, []byte("OpenSSH_9.2")) {
			oracleSkip = "installed sshd is not OpenSSH 9.2 (the table checked against; Debian 12's openssh-server): " + strings.TrimSpace(string(out))
			return
		}
		// sshd -T insists on its privilege separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			oracleSkip = "cannot create /run/sshd: " + err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "assay-sshd-oracle-")
		if err != nil {
			oracleSkip = err.Error()
			return
		}
		key := filepath.Join(dir, "hostkey")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
			oracleSkip = fmt.Sprintf("ssh-keygen: %v: %s", err, out)
			return
		}
		oracleVal = &oracle{sshd: sshd, key: key}
	})
	if oracleVal == nil {
		testenv.Unavailable(t, "sshd oracle: %s", oracleSkip)
	}
	return oracleVal
}

// run is one sshd -T invocation's outcome.
type run struct {
	spec   string
	rc     int
	stdout string
	stderr string
}

// runAll runs sshd -T for every spec ("" = no -C) on the tree at root.
func (o *oracle) runAll(t testing.TB, root string, specs []string) []run {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -u\n")
	for _, m := range []string{"etc/ssh", "etc/passwd", "etc/group"} {
		fmt.Fprintf(&script, "mount --bind %q %q || exit 99\n", filepath.Join(root, m), "/"+m)
	}
	script.WriteString("cd /\n")
	outDir := t.TempDir()
	for i, s := range specs {
		c := ""
		if s != "" {
			c = "-C " + shellQuote(s)
		}
		fmt.Fprintf(&script, "%s -T -f /etc/ssh/sshd_config -h %s %s >%s/%d.out 2>%s/%d.err; echo $? >%s/%d.rc\n", o.sshd, o.key, c, outDir, i, outDir, i, outDir, i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "sh", "-c", script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oracle: %v: %s", err, out)
	}
	runs := make([]run, len(specs))
	for i, s := range specs {
		read := func(ext string) string {
			b, _ := os.ReadFile(filepath.Join(outDir, strconv.Itoa(i)+"."+ext))
			return string(b)
		}
		rc, _ := strconv.Atoi(strings.TrimSpace(read("rc")))
		runs[i] = run{spec: s, rc: rc, stdout: read("out"), stderr: read("err")}
	}
	return runs
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// multiLine are the keywords sshd -T prints once per value.
var multiLine = map[string]bool{"port": true, "listenaddress": true, "hostkey": true, "hostcertificate": true, "allowusers": true, "denyusers": true, "allowgroups": true, "denygroups": true, "acceptenv": true, "setenv": true, "subsystem": true}

// parseDump turns sshd -T output into the settings shape.
func parseDump(out string) map[string]any {
	m := map[string]any{}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		k, v, _ := strings.Cut(l, " ")
		if multiLine[k] {
			prev, _ := m[k].([]string)
			m[k] = append(prev, v)
		} else {
			m[k] = v
		}
	}
	return m
}

func parseSpec(s string) (*ConnInfo, error) {
	if s == "" {
		return nil, nil
	}
	ci := &ConnInfo{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "user":
			ci.User = v
		case "host":
			ci.Host = v
		case "addr":
			ci.Addr = v
		case "laddr":
			ci.LAddr = v
		case "rdomain":
			ci.RDomain = v
		case "lport":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, err
			}
			ci.LPort = n
		default:
			return nil, fmt.Errorf("bad spec %q", kv)
		}
	}
	return ci, nil
}

// writeTree lays a case's files out under a fresh root.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup}
	for k, v := range files {
		all[k] = v
	}
	if _, ok := all["etc/ssh/sshd_config"]; !ok {
		all["etc/ssh/sshd_config"] = ""
	}
	for name, data := range all {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var lineRe = regexp.MustCompile(`^(?:(.*?):? )?line (\d+): |at line (\d+)$`)

// sshdErrorLines extracts the (path, line) pairs sshd named on stderr.
func sshdErrorLines(stderr, mainPath string) [][2]string {
	var out [][2]string
	for _, l := range strings.Split(stderr, "\n") {
		m := lineRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		path, line := m[1], m[2]
		if m[3] != "" {
			path, line = "*", m[3]
		}
		if path == "reprocess config" {
			path = mainPath
		}
		out = append(out, [2]string{path, line})
	}
	return out
}

// compareCase runs one case through sshd and the collector and reports
// every difference.
func compareCase(t *testing.T, o *oracle, files map[string]string, specs []string) {
	t.Helper()
	root := writeTree(t, files)
	all := append([]string{""}, specs...)
	runs := o.runAll(t, root, all)
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	vi := versionInfo{Profile: debian92}
	for _, r := range runs {
		ci, err := parseSpec(r.spec)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Evaluate(tgt, DefaultPath, ci, vi)
		if err != nil {
			t.Fatalf("spec %q: %v", r.spec, err)
		}
		label := r.spec
		if label == "" {
			label = "(no -C)"
		}
		checkAgainst(t, label, doc, r, o.key)
	}
}

func checkAgainst(t *testing.T, label string, doc map[string]any, r run, key string) {
	t.Helper()
	errs, _ := doc["errors"].([]any)
	hasErrAt := func(path, line string) bool {
		for _, e := range errs {
			m := e.(map[string]any)
			if (path == "*" || m["path"] == path || strings.HasSuffix(path, "/sshd_config") && m["path"] == DefaultPath) && strconv.Itoa(m["line"].(int)) == line {
				return true
			}
		}
		return false
	}
	valid := doc["valid"].(bool)
	if r.rc != 0 {
		if valid {
			t.Errorf("%s: sshd refused the configuration (rc %d: %s) but assay says it is valid", label, r.rc, strings.TrimSpace(r.stderr))
			return
		}
		for _, pl := range sshdErrorLines(r.stderr, DefaultPath) {
			if !hasErrAt(pl[0], pl[1]) {
				t.Errorf("%s: sshd reported %s line %s (%s); assay errors: %v", label, pl[0], pl[1], strings.TrimSpace(r.stderr), errs)
			}
		}
		return
	}
	if !valid {
		t.Errorf("%s: sshd accepted the configuration but assay reports fatal errors: %v", label, errs)
	}
	for _, pl := range sshdErrorLines(r.stderr, DefaultPath) {
		if !hasErrAt(pl[0], pl[1]) {
			t.Errorf("%s: sshd warned at %s line %s (%s); assay errors: %v", label, pl[0], pl[1], strings.TrimSpace(r.stderr), errs)
		}
	}
	want := parseDump(r.stdout)
	got := map[string]any{}
	for k, v := range doc["settings"].(map[string]any) {
		if l, ok := v.([]any); ok {
			s := make([]string, len(l))
			for i, x := range l {
				s[i] = x.(string)
			}
			got[k] = s
		} else {
			got[k] = v
		}
	}
	// sshd ran with -h KEY: drop that first host key; without HostKey in the
	// configuration sshd then adds no defaults, so compare only explicit ones.
	if hk, ok := want["hostkey"].([]string); ok && len(hk) > 0 && hk[0] == key {
		want["hostkey"] = hk[1:]
		if len(hk) == 1 {
			delete(want, "hostkey")
			if _, set := doc["sources"].(map[string]any)["hostkey"]; !set {
				delete(got, "hostkey")
			}
		}
	}
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if fmt.Sprint(want[k]) != fmt.Sprint(got[k]) {
			t.Errorf("%s: %s: sshd -T %q, assay %q", label, k, want[k], got[k])
		}
	}
}

// TestOracleCorpus compares every testdata/corpus/*.txtar case with sshd -T
// for every connection spec.
func TestOracleCorpus(t *testing.T) {
	o := needOracle(t)
	cases, err := filepath.Glob("testdata/corpus/*.txtar")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			specs := defaultSpecs
			for _, f := range ar.Files {
				if f.Name == "specs" {
					specs = nil
					for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
						if l = strings.TrimSpace(l); l != "" {
							specs = append(specs, l)
						}
					}
					continue
				}
				data := string(f.Data)
				if strings.HasSuffix(f.Name, ".crlf") {
					f.Name = strings.TrimSuffix(f.Name, ".crlf")
					data = strings.ReplaceAll(data, "\n", "\r\n")
				}
				files[f.Name] = data
			}
			compareCase(t, o, files, specs)
		})
	}
}
