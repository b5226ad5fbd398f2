package sshd

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/testenv"
)

// The oracle tests compare the collector with the real `sshd -T`. sshd runs
// offline, never as a service: in a private mount namespace (unshare -m)
// where the case's etc/ssh, etc/passwd and etc/group are bind-mounted over
// the host's, so that relative Includes, Match Group and "~" resolve in the
// case's files exactly as the collector resolves them inside the target.
// They need root (mounts, privsep checks), unshare(1) and openssh-server.

type oracle struct {
	sshd string
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
	requireOracleEnv(t)
	sshd := testenv.RequireTool(t, "sshd", "openssh-server")
	oracleOnce.Do(func() {
		out, _ := exec.Command(sshd, "-V").CombinedOutput()
		if !bytes.Contains(out, []byte("OpenSSH_9.2")) {
			oracleSkip = "installed sshd is not OpenSSH 9.2 (the table checked against; Debian 12's openssh-server): " + strings.TrimSpace(string(out))
			return
		}
		if err := prepareOracleHost(); err != nil {
			oracleSkip = err.Error()
			return
		}
		oracleVal = &oracle{sshd: sshd}
	})
	if oracleVal == nil {
		testenv.Unavailable(t, "sshd oracle: %s", oracleSkip)
	}
	return oracleVal
}

// requireOracleEnv is what running any sshd -T in a private mount
// namespace needs.
func requireOracleEnv(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "the sshd oracle bind-mounts each case's files in a private mount namespace; sshd -T checks its privsep directory")
	testenv.RequireCapability(t, testenv.CapSysAdmin, "unshare --mount and mount --bind for the sshd oracle")
	testenv.RequireTool(t, "unshare", "util-linux")
	testenv.RequireTool(t, "mount", "mount")
}

var prepareOnce = sync.OnceValue(func() error {
	// sshd -T insists on its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("create /run/sshd: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(oracleHostKey), 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(oracleHostKey); err == nil {
		return nil
	}
	priv, pub, err := newHostKey("ed25519")
	if err != nil {
		return err
	}
	if err := os.WriteFile(oracleHostKey+".pub", pub, 0o644); err != nil {
		return err
	}
	return os.WriteFile(oracleHostKey, priv, 0o600)
})

// prepareOracleHost creates sshd's privsep directory and the -h host key.
func prepareOracleHost() error { return prepareOnce() }

// runAll runs sshd -T for every spec ("" = no -C) on the tree at root:
// with -h oracleHostKey, unless ownKeys (then sshd loads the case's keys).
func (o *oracle) runAll(t testing.TB, root string, specs []string, ownKeys bool) []run {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -u\n")
	for _, m := range []string{"etc/ssh", "etc/passwd", "etc/group"} {
		fmt.Fprintf(&script, "mount --bind %q %q || exit 99\n", filepath.Join(root, m), "/"+m)
	}
	script.WriteString("cd /\n")
	h := "-h " + oracleHostKey
	if ownKeys {
		h = ""
	}
	outDir := t.TempDir()
	for i, s := range specs {
		c := ""
		if s != "" {
			c = "-C " + shellQuote(s)
		}
		fmt.Fprintf(&script, "%s -T -f /etc/ssh/sshd_config %s %s >%s/%d.out 2>%s/%d.err; echo $? >%s/%d.rc\n", o.sshd, h, c, outDir, i, outDir, i, outDir, i)
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

// stderrLines are sshd's diagnostics as the collector renders them: the
// second pass's "reprocess config" is the main file.
func stderrLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "Could not connect to agent ") {
			// The collector cannot reach a host key agent.
			continue
		}
		if rest, ok := strings.CutPrefix(l, "reprocess config "); ok {
			l = DefaultPath + " " + rest
		} else if rest, ok := strings.CutPrefix(l, "reprocess config: "); ok {
			l = DefaultPath + ": " + rest
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkAgainst compares one document with one sshd -T run: the exit status
// (valid), every diagnostic sshd printed (as the collector's "text"), and
// every keyword sshd printed.
func checkAgainst(t *testing.T, label string, doc map[string]any, r run) {
	t.Helper()
	errs, _ := doc["errors"].([]any)
	var texts []string
	for _, e := range errs {
		texts = append(texts, e.(map[string]any)["text"].(string))
	}
	slices.Sort(texts)
	texts = slices.Compact(texts)
	if want := stderrLines(r.stderr); !slices.Equal(want, texts) {
		t.Errorf("%s: diagnostics differ\nsshd:  %q\nassay: %q", label, want, texts)
	}
	valid := doc["valid"].(bool)
	if r.rc != 0 {
		if valid {
			t.Errorf("%s: sshd refused the configuration (rc %d: %s) but assay says it is valid", label, r.rc, strings.TrimSpace(r.stderr))
		}
		return
	}
	if !valid {
		t.Errorf("%s: sshd accepted the configuration but assay reports fatal errors: %v", label, errs)
		return
	}
	want := parseDumpLines(r.stdout)
	got := dump{}
	for k, v := range doc["settings"].(map[string]any) {
		if l, ok := v.([]any); ok {
			for _, x := range l {
				got[k] = append(got[k], k+" "+x.(string))
			}
		} else {
			got[k] = []string{k + " " + v.(string)}
		}
	}
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		w := want[k]
		// sshd -T prints keywords as its table names them: lower case,
		// CamelCase from 10.5; the document's keys are lower case.
		for i, l := range w {
			if kw, v, ok := strings.Cut(l, " "); ok {
				w[i] = strings.ToLower(kw) + " " + v
			} else {
				w[i] = strings.ToLower(l)
			}
		}
		if !slices.Equal(w, got[k]) {
			t.Errorf("%s: %s: sshd -T %q, assay %q", label, k, w, got[k])
		}
	}
}

// compareCase runs one case through sshd and the collector (with prof) and
// reports every difference.
func compareCase(t *testing.T, o *oracle, c corpusCase, prof *profile) {
	t.Helper()
	root := writeTree(t, c.files)
	runs := o.runAll(t, root, c.allSpecs(), c.ownKeys)
	checkCaseRuns(t, c, root, prof, runs)
}

// TestOracleCorpus compares every testdata/corpus/*.txtar case with the
// host's sshd -T (Debian 12's 9.2p1, Debian's patches included) for every
// connection spec.
func TestOracleCorpus(t *testing.T) {
	o := needOracle(t)
	prof := mustProfile(t, "9.2p1", buildFull, distroDebian)
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compareCase(t, o, c, prof)
		})
	}
}
