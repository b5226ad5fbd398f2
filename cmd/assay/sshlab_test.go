package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
	"github.com/assay-dev/assay/targets/ssh/sshtest"
)

// The SSH lab: real OpenSSH servers, each in its own network namespace
// and chrooted into its own tree (sshtest), with its own configuration,
// user, key type and authorized keys. The namespaces hang off one bridge
// in a switch namespace, each host with its own MAC on its veth, and one
// rogue station nobody declared. assay runs inside the first host's
// namespace (ip netns exec), as the auditing machine would.

type labHost struct {
	name, ns, ip, mac, user, keyType string
	port                             string
	tree                             string
	key                              sshtest.Key // the user's key
	server                           *sshtest.Running
}

func (h *labHost) url() string { return "ssh://" + h.user + "@" + h.ip + ":" + h.port }

type sshLab struct {
	t      *testing.T
	prefix string
	base   string
	client string // the client side's files (keys, known_hosts)
	sw     string
	hosts  []*labHost
	rogue  string // the rogue's namespace
}

// labMACs are the hosts' MACs; rogueMAC is the station nobody declared.
const rogueMAC = "00:16:3e:66:00:66"

func requireSSHLab(t *testing.T) {
	t.Helper()
	sshtest.Require(t)
	testenv.RequireCapability(t, testenv.CapNetAdmin, "the lab's bridge, veths and addresses")
	for _, tool := range [][2]string{{"ip", "iproute2"}, {"arping", "iputils-arping"}, {"mknod", "coreutils"}} {
		testenv.RequireTool(t, tool[0], tool[1])
	}
}

func newSSHLab(t *testing.T, n int) *sshLab {
	t.Helper()
	l := &sshLab{t: t, prefix: fmt.Sprintf("assayssh-%d-%04x", os.Getpid(), rand.N(0x10000)), base: sshtest.BaseDir(t), client: t.TempDir()}
	l.sw = l.addNS("sw")
	l.ip("-n", l.sw, "link", "add", "br0", "type", "bridge")
	l.ip("-n", l.sw, "link", "set", "br0", "up")
	users := []struct{ user, keyType, port string }{{"root", "ed25519", "22"}, {"auditor", "ecdsa", "2222"}, {"scanner", "rsa", "22"}}
	for i := 1; i <= n; i++ {
		u := users[(i-1)%len(users)]
		user := u.user
		if i > len(users) {
			user = fmt.Sprintf("scan%d", i)
		}
		h := &labHost{name: fmt.Sprintf("h%d", i), ip: fmt.Sprintf("10.78.%d.%d", i/250, i%250+1), mac: fmt.Sprintf("00:16:3e:5a:%02x:%02x", i/256, i%256),
			user: user, keyType: u.keyType, port: u.port}
		l.addStation(h.name, h.ip, h.mac, &h.ns)
		l.hosts = append(l.hosts, h)
	}
	l.addStation("rogue", "10.78.0.250", rogueMAC, &l.rogue)
	return l
}

func (l *sshLab) addNS(role string) string {
	ns := l.prefix + "-" + role
	l.ip("netns", "add", ns)
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	return ns
}

func (l *sshLab) addStation(name, ip, mac string, ns *string) {
	*ns = l.addNS(name)
	port := "p" + name
	l.ip("-n", l.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", *ns)
	l.ip("-n", l.sw, "link", "set", port, "master", "br0", "up")
	l.ip("-n", *ns, "link", "set", "eth0", "address", mac)
	l.ip("-n", *ns, "addr", "add", ip+"/16", "dev", "eth0")
	l.ip("-n", *ns, "link", "set", "lo", "up")
	l.ip("-n", *ns, "link", "set", "eth0", "up")
}

func (l *sshLab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// sshdConfigs give each host its own configuration, so that each has its
// own findings; h1's comes through an Include.
var sshdConfigs = []map[string]string{
	{"etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\n",
		"etc/ssh/sshd_config.d/10-legacy.conf": "PasswordAuthentication yes\nX11Forwarding yes\n"},
	{"etc/ssh/sshd_config": "PermitRootLogin yes\nMaxAuthTries 10\nLogLevel QUIET\n"},
	{"etc/ssh/sshd_config": "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nX11Forwarding no\nAllowTcpForwarding no\nMaxAuthTries 3\nClientAliveInterval 300\nLoginGraceTime 30\n"},
}

// writeTree builds a host's tree: what the built-in bundles read, and
// hostile entries where they look (a FIFO and a device named like
// authorized keys, a link to /etc/shadow).
func (l *sshLab) writeTree(h *labHost, i int) {
	t := l.t
	h.tree = filepath.Join(l.base, h.name, "tree")
	if err := os.MkdirAll(h.tree, 0o755); err != nil {
		t.Fatal(err)
	}
	w := func(rel, content string, mode os.FileMode) { sshtest.WriteFile(t, h.tree, rel, content, mode) }
	w("etc/hostname", h.name+"\n", 0o644)
	w("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", 0o644)
	w("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n", 0o644)
	w("etc/group", "root:x:0:\nalice:x:1000:\nbob:x:1001:\n", 0o644)
	w("etc/shadow", "root:*:19000::::::\n", 0o600)
	w("var/lib/dpkg/status", "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u3\n\n", 0o644)
	for rel, content := range sshdConfigs[i%len(sshdConfigs)] {
		w(rel, content, 0o644)
	}
	w("root/.ssh/authorized_keys", h.key.Public+"\n", 0o600)
	w("home/alice/.ssh/authorized_keys", fmt.Sprintf("ssh-dss AAAAB3NzaC1kc3MAAACBAP%02d alice@old\n", i), 0o644)
	if err := os.MkdirAll(filepath.Join(h.tree, "home/bob/.ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(h.tree, "home/bob/.ssh/authorized_keys"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mknod", filepath.Join(h.tree, "home/bob/.ssh/authorized_keys2"), "c", "1", "3").CombinedOutput(); err != nil {
		t.Fatalf("mknod: %v: %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(h.tree, "home/carol/.ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/shadow", filepath.Join(h.tree, "home/carol/.ssh/authorized_keys")); err != nil {
		t.Fatal(err)
	}
}

// start makes the keys and trees and starts every host's sshd.
func (l *sshLab) start() {
	keys := map[string]sshtest.Key{} // one user key per type, shared by the hosts of that type
	for i, h := range l.hosts {
		if _, ok := keys[h.keyType]; !ok {
			keys[h.keyType] = sshtest.Keygen(l.t, l.client, "id_"+h.keyType, h.keyType)
		}
		h.key = keys[h.keyType]
		l.writeTree(h, i)
		h.server = sshtest.Start(l.t, sshtest.Server{
			Dir: filepath.Join(l.base, h.name, "sshd"), Tree: h.tree, Listen: h.ip + ":" + h.port, NetNS: h.ns,
			User: h.user, AuthorizedKeys: []string{h.key.Public}, MountKernel: true,
			HostKeyType: []string{"ed25519", "ecdsa", "rsa"}[i%3],
		})
	}
	// The rogue speaks to h2, which learns its MAC.
	if len(l.hosts) > 1 {
		l.ip("netns", "exec", l.rogue, "arping", "-c", "1", "-w", "2", "-I", "eth0", l.hosts[1].ip)
	}
}

// knownHosts writes a known_hosts file with the keys of hosts (hashed
// entries for every other host, as ssh-keygen -H leaves them).
func (l *sshLab) knownHosts(name string, hosts ...*labHost) string {
	var b strings.Builder
	for i, h := range hosts {
		b.WriteString(h.server.KnownHostsLine(i%2 == 1) + "\n")
	}
	p := filepath.Join(l.client, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// inventory writes a YAML inventory of hosts with per-host user, port and
// labels.
func (l *sshLab) inventory(name string, hosts ...*labHost) string {
	var b strings.Builder
	b.WriteString("defaults:\n  labels: {site: lab}\nhosts:\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "  - host: %s\n    user: %s\n    port: %s\n    labels: {name: %s}\n", h.ip, h.user, h.port, h.name)
	}
	p := filepath.Join(l.client, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return p
}

func (l *sshLab) identities(hosts ...*labHost) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, "--identity", h.key.Private)
	}
	return out
}

// runAssayNS runs the CLI, inside ns when it is not "".
func runAssayNS(t *testing.T, ns string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	exe, err := exec.LookPath("assay")
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{exe}, args...)
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=", "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errorsAs(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("assay %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

func errorsAs(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// TestSSHLab: a scan of the inventory equals --root scans of the same
// trees; outputs per target; unknown, changed and wrong keys refused; a
// server that stops answering mid-scan fails alone.
func TestSSHLab(t *testing.T) {
	requireSSHLab(t)
	l := newSSHLab(t, 3)
	l.start()
	h1, h2, h3 := l.hosts[0], l.hosts[1], l.hosts[2]
	kh := l.knownHosts("known_hosts", l.hosts...)
	inv := l.inventory("fleet.yaml", l.hosts...)
	ids := l.identities(l.hosts...)
	out := t.TempDir()

	t.Run("inventory scan equals root scans", func(t *testing.T) {
		args := append([]string{"scan", "--inventory", inv, "--known-hosts", kh, "--parallel", "3",
			"-f", "json=" + filepath.Join(out, "all.json"), "-f", "sarif=" + out + "/sarif/", "-f", "prometheus=" + out + "/prom/", "-f", "table"}, ids...)
		stdout, stderr, code := runAssayNS(t, h1.ns, args...)
		if code != 1 {
			t.Fatalf("exit %d, want 1 (violations): %s\n%s", code, stdout, stderr)
		}
		for _, h := range l.hosts {
			if !strings.Contains(stdout, "== "+h.url()) {
				t.Errorf("the table has no section for %s:\n%s", h.url(), stdout)
			}
		}
		var multi struct {
			SchemaVersion string           `json:"schema_version"`
			Targets       []map[string]any `json:"targets"`
		}
		readJSON(t, filepath.Join(out, "all.json"), &multi)
		if multi.SchemaVersion != "2" || len(multi.Targets) != 3 {
			t.Fatalf("schema %s, %d targets", multi.SchemaVersion, len(multi.Targets))
		}
		for i, h := range l.hosts {
			sec := multi.Targets[i]
			if sec["status"] != "ok" {
				t.Fatalf("%s: status %v: %v", h.name, sec["status"], sec["error"])
			}
			if labels, _ := sec["labels"].(map[string]any); labels["name"] != h.name || labels["site"] != "lab" {
				t.Errorf("%s: labels %v", h.name, sec["labels"])
			}
			rootOut, rootErr, rootCode := runAssayNS(t, "", "scan", "--root", h.tree, "-f", "json")
			if rootCode != 1 {
				t.Fatalf("--root %s: exit %d: %s", h.tree, rootCode, rootErr)
			}
			var local map[string]any
			if err := json.Unmarshal([]byte(rootOut), &local); err != nil {
				t.Fatal(err)
			}
			got, want := comparable(sec), comparable(local)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s over SSH differs from --root %s:\n%s", h.name, h.tree, jsonDiff(t, got, want))
			}
			if len(want["findings"].([]any)) == 0 {
				t.Errorf("%s: no findings to compare", h.name)
			}
			// The network collectors ran over SSH and saw the segment.
			if !collectorOK(sec, "interfaces") || !collectorOK(sec, "neighbors") {
				t.Errorf("%s: network collectors: %v", h.name, sec["collectors"])
			}
			for _, f := range []string{"sarif/" + strings.ReplaceAll(strings.TrimPrefix(h.url(), "ssh://"), ":", "_") + ".sarif",
				"prom/" + strings.ReplaceAll(strings.TrimPrefix(h.url(), "ssh://"), ":", "_") + ".prom"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("per-target output: %v", err)
				}
			}
		}
		if p, ok := testenv.OptionalTool(t, "promtool", "prometheus"); ok {
			for _, h := range l.hosts {
				f := filepath.Join(out, "prom", strings.ReplaceAll(strings.TrimPrefix(h.url(), "ssh://"), ":", "_")+".prom")
				cmd := exec.Command(p, "check", "metrics")
				cmd.Stdin, _ = os.Open(f)
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("promtool check metrics %s: %v: %s", f, err, b)
				}
			}
		}
	})

	t.Run("collected documents equal root collects", func(t *testing.T) {
		docs := filepath.Join(out, "docs") + "/"
		args := append([]string{"collect", "--inventory", inv, "--known-hosts", kh, "-o", docs}, ids...)
		_, stderr, code := runAssayNS(t, h1.ns, args...)
		if code != 0 {
			t.Fatalf("collect: exit %d: %s", code, stderr)
		}
		for _, h := range l.hosts {
			var remote, local map[string]any
			readJSON(t, filepath.Join(docs, strings.ReplaceAll(strings.TrimPrefix(h.url(), "ssh://"), ":", "_")+".json"), &remote)
			rootOut, rootErr, rootCode := runAssayNS(t, "", "collect", "--root", h.tree)
			if rootCode != 0 {
				t.Fatalf("collect --root: %s", rootErr)
			}
			if err := json.Unmarshal([]byte(rootOut), &local); err != nil {
				t.Fatal(err)
			}
			got, want := comparableDocs(remote), comparableDocs(local)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: documents over SSH differ from --root:\n%s", h.name, jsonDiff(t, got, want))
			}
			if len(want) < 5 {
				t.Errorf("%s: only %d documents compared", h.name, len(want))
			}
		}
		// The rogue is in h2's neighbour cache, read over SFTP.
		var h2docs map[string]any
		readJSON(t, filepath.Join(docs, strings.ReplaceAll(strings.TrimPrefix(h2.url(), "ssh://"), ":", "_")+".json"), &h2docs)
		if !hasNeighbor(h2docs, rogueMAC) {
			t.Errorf("h2's neighbors do not show the rogue %s", rogueMAC)
		}
	})

	// Issue 19 §2: the rogue-hosts fleet policy over the inventory finds
	// exactly the rogue's MAC, at the host that saw it (h2), in the scan
	// and in assay eval --fleet over the collected files.
	t.Run("the fleet policy finds exactly the rogue", func(t *testing.T) {
		unowned := func(path string) map[string][]string {
			var multi struct {
				Targets []struct {
					Target   struct{ Name string } `json:"target"`
					Findings []struct {
						PolicyID string         `json:"policy_id"`
						Target   string         `json:"target"`
						Details  map[string]any `json:"details"`
					} `json:"findings"`
				} `json:"targets"`
			}
			readJSON(t, path, &multi)
			got := map[string][]string{}
			for _, sec := range multi.Targets {
				for _, f := range sec.Findings {
					if f.PolicyID != "rogue-hosts-unowned-neighbor" {
						continue
					}
					if f.Target != sec.Target.Name {
						t.Errorf("%s: a finding of target %q in the section of %q", path, f.Target, sec.Target.Name)
					}
					got[f.Target] = append(got[f.Target], fmt.Sprint(f.Details["mac"]))
				}
			}
			return got
		}
		want := map[string][]string{h2.url(): {rogueMAC}}
		if got := unowned(filepath.Join(out, "all.json")); !reflect.DeepEqual(got, want) {
			t.Errorf("scan --inventory: unowned MACs by target %v, want %v", got, want)
		}
		docs := filepath.Join(out, "docs")
		args := []string{"eval", "--fleet", "-f", "json=" + filepath.Join(out, "fleet.json")}
		for _, h := range l.hosts {
			args = append(args, "--documents", filepath.Join(docs, strings.ReplaceAll(strings.TrimPrefix(h.url(), "ssh://"), ":", "_")+".json"))
		}
		if _, stderr, code := runAssayNS(t, "", args...); code != 1 {
			t.Fatalf("eval --fleet: exit %d, want 1: %s", code, stderr)
		}
		if got := unowned(filepath.Join(out, "fleet.json")); !reflect.DeepEqual(got, want) {
			t.Errorf("eval --fleet: unowned MACs by target %v, want %v", got, want)
		}
	})

	t.Run("refused keys and a host that is down", func(t *testing.T) {
		impostor := sshtest.Keygen(t, l.client, "impostor", "ed25519")
		changed := filepath.Join(l.client, "known_hosts_changed")
		line := "[" + h2.ip + "]:" + h2.port + " " + impostor.Public + "\n" + h3.server.KnownHostsLine(false) + "\n"
		if err := os.WriteFile(changed, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		unknown := l.knownHosts("known_hosts_partial", h2) // h1 unknown
		for _, tc := range []struct {
			name, knownHosts string
			targets          []string
			ids              []string
			want             map[string]string
		}{
			{"unknown host key", unknown, []string{h1.url(), h2.url()}, l.identities(h1, h2), map[string]string{
				h1.url(): "host key " + fingerprint(t, h1.server.HostKey.Public) + " (ssh-ed25519) of " + h1.ip + ":22 is not in " + unknown, h2.url(): ""}},
			{"changed host key, wrong user key, down", changed, []string{h2.url(), h3.url(), "ssh://root@" + h1.ip + ":2200"}, l.identities(h1, h2),
				map[string]string{h2.url(): "CHANGED: it presented " + fingerprint(t, h2.server.HostKey.Public),
					h3.url(): "the server refused every key offered for user scanner", "ssh://root@" + h1.ip + ":2200": "connect: dial tcp " + h1.ip + ":2200"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				args := []string{"scan", "--known-hosts", tc.knownHosts, "-f", "json", "--connect-timeout", "5s"}
				for _, u := range tc.targets {
					args = append(args, "--target", u)
				}
				stdout, stderr, code := runAssayNS(t, h1.ns, append(args, tc.ids...)...)
				if code != 3 {
					t.Fatalf("exit %d, want 3: %s", code, stderr)
				}
				var multi struct{ Targets []map[string]any }
				if err := json.Unmarshal([]byte(stdout), &multi); err != nil {
					t.Fatal(err)
				}
				for _, sec := range multi.Targets {
					name := sec["target"].(map[string]any)["name"].(string)
					want, ok := tc.want[name]
					if !ok {
						t.Errorf("unexpected target %s", name)
						continue
					}
					if want == "" {
						if sec["status"] != "ok" {
							t.Errorf("%s: %v %v, want ok", name, sec["status"], sec["error"])
						}
						continue
					}
					if errText, _ := sec["error"].(string); sec["status"] != "failed" || !strings.Contains(errText, want) {
						t.Errorf("%s: %v %q, want failed saying %q", name, sec["status"], errText, want)
					}
					if f, _ := sec["findings"].([]any); len(f) != 0 {
						t.Errorf("%s: a failed target with findings", name)
					}
				}
			})
		}
		// Failed targets allowed: the down host alone is no failure.
		_, stderr, code := runAssayNS(t, h1.ns, append([]string{"scan", "--known-hosts", kh, "--target", "ssh://root@" + h1.ip + ":2200", "--allow-failed-targets", "-f", "json"}, ids...)...)
		if code != 0 {
			t.Errorf("--allow-failed-targets: exit %d, want 0: %s", code, stderr)
		}
	})

	t.Run("a server stopped mid-scan fails alone", func(t *testing.T) {
		// A bundle that reads many files, so that a scan of h3 lasts
		// long enough to be stopped in the middle.
		bundle := filepath.Join(l.client, "bundle")
		sshtest.WriteFile(t, bundle, "bundle.hcl", "bundle \"data\" {\n  version = \"1.0.0\"\n}\n\ncollect \"file\" \"data\" {\n  paths  = [\"/data\"]\n  hashes = [\"sha256\"]\n}\n", 0o644)
		for i := range 2000 {
			sshtest.WriteFile(t, h3.tree, fmt.Sprintf("data/%02d/%04d", i%20, i), strings.Repeat("x", i), 0o644)
		}
		// h3 stops answering once assay reads it: every process of it
		// (listener, session, SFTP) gets SIGSTOP.
		reading := h3.server.AwaitReading(200)
		go func() {
			<-reading
			_ = h3.server.Signal(syscall.SIGSTOP)
		}()
		defer h3.server.Signal(syscall.SIGCONT)
		args := append([]string{"scan", "-b", bundle, "--known-hosts", kh, "--read-timeout", "3s", "--parallel", "3", "-f", "json",
			"--target", h1.url(), "--target", h3.url(), "--target", h2.url()}, ids...)
		stdout, stderr, code := runAssayNS(t, h1.ns, args...)
		if code != 3 {
			t.Fatalf("exit %d, want 3: %s\nh3's sshd: %s", code, stderr, h3.server.Log())
		}
		var multi struct{ Targets []map[string]any }
		if err := json.Unmarshal([]byte(stdout), &multi); err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"ok", "failed", "ok"} {
			sec := multi.Targets[i]
			if sec["status"] != want {
				t.Errorf("target %d: %v (%v), want %s", i, sec["status"], sec["error"], want)
			}
		}
		if e, _ := multi.Targets[1]["error"].(string); !strings.Contains(e, "connection lost: no answer within 3s") {
			t.Errorf("stopped server: %q, want the read timeout", e)
		}
	})
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func fingerprint(t *testing.T, pubLine string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "echo \"$0\" | ssh-keygen -lf -", pubLine).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("ssh-keygen -lf: %s", out)
	}
	return f[1]
}

func collectorOK(sec map[string]any, kind string) bool {
	for _, c := range sec["collectors"].([]any) {
		m := c.(map[string]any)
		if m["kind"] == kind {
			return m["status"] == "ok" && m["documents"].(float64) > 0
		}
	}
	return false
}

// networkKinds are what a --root scan cannot see: the collectors, their
// documents and the policies judging them are left out of comparisons.
var networkKinds = map[string]bool{"interfaces": true, "neighbors": true, "net.interface": true, "net.neighbor": true}

// comparable keeps what must be the same whether a tree is read over SSH
// or as --root: policies, findings (but for the target name and the
// fingerprint, which covers it) and collectors (but for durations).
func comparable(r map[string]any) map[string]any {
	out := map[string]any{"host": r["host"]}
	var cols []any
	for _, c := range r["collectors"].([]any) {
		m := copyMap(c.(map[string]any))
		if networkKinds[m["kind"].(string)] {
			continue
		}
		delete(m, "duration_seconds")
		if skips, ok := m["skipped"].([]any); ok { // a local walk skips in directory order
			sort.Slice(skips, func(i, j int) bool { return fmt.Sprint(skips[i]) < fmt.Sprint(skips[j]) })
		}
		cols = append(cols, m)
	}
	out["collectors"] = cols
	var pols []any
	for _, p := range r["policies"].([]any) {
		m := p.(map[string]any)
		if m["bundle"] == "rogue-hosts" {
			continue
		}
		pols = append(pols, m)
	}
	out["policies"] = pols
	var fs []any
	for _, f := range r["findings"].([]any) {
		m := copyMap(f.(map[string]any))
		if m["bundle"] == "rogue-hosts" {
			continue
		}
		delete(m, "target")
		delete(m, "fingerprint")
		fs = append(fs, m)
	}
	out["findings"] = fs
	return out
}

// comparableDocs lists a documents file's documents, but the network ones
// and the target each names.
func comparableDocs(f map[string]any) []string {
	var out []string
	for _, d := range f["documents"].([]any) {
		m := d.(map[string]any)
		doc, _ := m["document"].(map[string]any)
		if doc == nil {
			doc = m
		}
		if k, _ := doc["kind"].(string); networkKinds[k] {
			continue
		}
		doc = copyMap(doc)
		delete(doc, "target")
		b, _ := json.Marshal(map[string]any{"collector": m["collector"], "bundle": m["bundle"], "doc": doc})
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

func hasNeighbor(f map[string]any, mac string) bool {
	for _, d := range f["documents"].([]any) {
		b, _ := json.Marshal(d)
		if strings.Contains(string(b), `"net.neighbor"`) && strings.Contains(string(b), mac) {
			return true
		}
	}
	return false
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// jsonDiff shows how got (over SSH) and want (--root) differ, with diff(1).
func jsonDiff(t *testing.T, got, want any) string {
	dir := t.TempDir()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	os.WriteFile(filepath.Join(dir, "ssh"), g, 0o644)
	os.WriteFile(filepath.Join(dir, "root"), w, 0o644)
	out, _ := exec.Command("diff", "-u", filepath.Join(dir, "root"), filepath.Join(dir, "ssh")).CombinedOutput()
	return string(out)
}
