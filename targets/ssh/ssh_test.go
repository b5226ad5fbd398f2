package ssh_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/internal/testenv"
	"github.com/assay-dev/assay/targets"
	"github.com/assay-dev/assay/targets/ssh"
	"github.com/assay-dev/assay/targets/ssh/sshtest"
	"github.com/assay-dev/assay/targets/targettest"
)

// writeFixture builds targettest.Fixture under dir, with a FIFO.
func writeFixture(t *testing.T, dir string) {
	t.Helper()
	for _, e := range targettest.Fixture {
		p := filepath.Join(dir, e.Name)
		var err error
		switch e.Type {
		case "dir":
			err = os.Mkdir(p, e.Mode|0o700)
		case "file":
			err = os.WriteFile(p, []byte(e.Data), e.Mode)
			if err == nil {
				err = os.Chmod(p, e.Mode)
			}
		case "symlink":
			err = os.Symlink(e.Data, p)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "home/alice/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// server is one real sshd on loopback serving a fixture tree, and the
// client side's files.
type server struct {
	*sshtest.Running
	user, knownHosts string
	key              sshtest.Key
	addr             ssh.Address
}

func startServer(t *testing.T, tree func(dir string)) *server {
	t.Helper()
	return startServerWith(t, tree, sshtest.Server{})
}

// startServerWith starts a server with the settings of cfg (MountKernel,
// Extra) over the tree.
func startServerWith(t *testing.T, tree func(dir string), cfg sshtest.Server) *server {
	t.Helper()
	sshtest.Require(t)
	base := sshtest.BaseDir(t)
	client := t.TempDir()
	key := sshtest.Keygen(t, client, "id_ed25519", "ed25519")
	root := filepath.Join(base, "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	tree(root)
	listen := sshtest.FreeAddr(t)
	cfg.Dir, cfg.Tree, cfg.Listen, cfg.User, cfg.AuthorizedKeys = filepath.Join(base, "sshd"), root, listen, "auditor", []string{key.Public}
	r := sshtest.Start(t, cfg)
	kh := filepath.Join(client, "known_hosts")
	if err := os.WriteFile(kh, []byte(r.KnownHostsLine(true)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, err := ssh.ParseURL("ssh://auditor@" + listen)
	if err != nil {
		t.Fatal(err)
	}
	return &server{Running: r, user: "auditor", knownHosts: kh, key: key, addr: addr}
}

func (s *server) dial(t *testing.T, cfg ssh.Config) (*ssh.Target, error) {
	t.Helper()
	if cfg.KnownHosts == nil {
		cfg.KnownHosts = []string{s.knownHosts}
	}
	if cfg.Identities == nil {
		cfg.Identities = []string{s.key.Private}
	}
	d, err := ssh.NewDialer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d.Dial(context.Background(), s.addr)
}

// TestConformance runs the target conformance checks against a real sshd
// chrooted into the fixture: links resolved on the server stay in the
// target, the FIFO is refused unopened, names are confined.
func TestConformance(t *testing.T) {
	s := startServer(t, func(dir string) { writeFixture(t, dir) })
	tgt, err := s.dial(t, ssh.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if info := tgt.Info(); info.Kind != target.KindSSH || info.Name != "ssh://auditor@"+s.Listen {
		t.Errorf("Info = %+v", info)
	}
	targettest.Validate(t, tgt, true)
	if err := tgt.Err(); err != nil {
		t.Errorf("Err after a clean scan: %v", err)
	}
}

// TestRefused: the host key and the user key are checked, and refusals say
// what to do, naming the fingerprint.
func TestRefused(t *testing.T) {
	s := startServer(t, func(dir string) { writeFixture(t, dir) })
	other := t.TempDir()
	stranger := sshtest.Keygen(t, other, "stranger", "ed25519")
	impostor := sshtest.Keygen(t, other, "impostor", "ed25519")
	changed := filepath.Join(other, "known_hosts_changed")
	host, port, _ := strings.Cut(s.Listen, ":")
	if err := os.WriteFile(changed, []byte("["+host+"]:"+port+" "+impostor.Public+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(other, "known_hosts_empty")
	if err := os.WriteFile(empty, []byte("# nobody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fp := fingerprint(t, s.HostKey.Public)
	for _, tc := range []struct {
		name string
		cfg  ssh.Config
		want []string
	}{
		{"unknown host key", ssh.Config{KnownHosts: []string{empty}}, []string{"host key " + fp, "is not in " + empty, "ssh-keyscan -p " + port}},
		{"changed host key", ssh.Config{KnownHosts: []string{changed}}, []string{"CHANGED", "it presented " + fp, fingerprint(t, impostor.Public), "ssh-keygen -R"}},
		{"wrong user key", ssh.Config{Identities: []string{stranger.Private}}, []string{"authenticate", "refused every key offered for user auditor", stranger.Private}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgt, err := s.dial(t, tc.cfg)
			if err == nil {
				tgt.Close()
				t.Fatal("connected; want a refusal")
			}
			var ce *ssh.ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v, want a *ssh.ConnectError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func fingerprint(t *testing.T, line string) string {
	t.Helper()
	k, _, _, _, err := xssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return xssh.FingerprintSHA256(k)
}

// TestStoppedServer: a server that stops answering mid-scan (SIGSTOP on
// every process of it) loses the target within the read timeout; every
// later read fails at once with the reason.
func TestStoppedServer(t *testing.T) {
	s := startServer(t, func(dir string) {
		sshtest.WriteFile(t, dir, "etc/first", "read before the stop\n", 0o644)
		sshtest.WriteFile(t, dir, "etc/second", "never read\n", 0o644)
	})
	tgt, err := s.dial(t, ssh.Config{ReadTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if b, err := fs.ReadFile(tgt, "etc/first"); err != nil || string(b) != "read before the stop\n" {
		t.Fatalf("read etc/first: %q, %v", b, err)
	}
	if err := s.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer s.Signal(syscall.SIGCONT)
	done := make(chan error, 1)
	go func() { _, err := fs.ReadFile(tgt, "etc/second"); done <- err }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a read from a stopped server did not end")
	}
	if !errors.Is(err, ssh.ErrConnectionLost) || !strings.Contains(err.Error(), "no answer within 2s to stat /etc/second") {
		t.Errorf("read: %v, want the connection lost for no answer", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "etc/second" {
		t.Errorf("read error %v names no path", err)
	}
	start := time.Now()
	if _, err := tgt.Stat("etc/first"); !errors.Is(err, ssh.ErrConnectionLost) {
		t.Errorf("stat after the loss: %v, want ErrConnectionLost", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("stat after the loss took %s: it must fail at once", time.Since(start))
	}
	if !errors.Is(tgt.Err(), ssh.ErrConnectionLost) {
		t.Errorf("Err = %v", tgt.Err())
	}
}

// TestDroppedConnection: a server that goes away mid-scan loses the target
// with the reason.
func TestDroppedConnection(t *testing.T) {
	s := startServer(t, func(dir string) { sshtest.WriteFile(t, dir, "etc/first", "x\n", 0o644) })
	tgt, err := s.dial(t, ssh.Config{ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	s.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for tgt.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := fs.ReadFile(tgt, "etc/first"); !errors.Is(err, ssh.ErrConnectionLost) || !strings.Contains(err.Error(), "closed the connection") {
		t.Errorf("read after the server went away: %v", err)
	}
}

// TestDown: nothing listening is a connect error naming the target.
func TestDown(t *testing.T) {
	sshtest.Require(t)
	client := t.TempDir()
	key := sshtest.Keygen(t, client, "id", "ed25519")
	kh := filepath.Join(client, "known_hosts")
	if err := os.WriteFile(kh, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ssh.NewDialer(ssh.Config{KnownHosts: []string{kh}, Identities: []string{key.Private}, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := ssh.ParseURL("ssh://nobody@" + sshtest.FreeAddr(t))
	_, err = d.Dial(context.Background(), addr)
	var ce *ssh.ConnectError
	if !errors.As(err, &ce) || ce.Stage != "connect" || !strings.Contains(err.Error(), addr.String()) {
		t.Errorf("dial a closed port: %v", err)
	}
}

// TestCertificatesAndAgent: a host certificate trusted through a
// @cert-authority line, a user certificate found beside its key, and keys
// held by a real ssh-agent.
func TestCertificatesAndAgent(t *testing.T) {
	sshtest.Require(t)
	testenv.RequireTool(t, "ssh-agent", "openssh-client")
	base := sshtest.BaseDir(t)
	client := t.TempDir()
	ca := sshtest.Keygen(t, client, "ca", "ed25519")
	user := sshtest.Keygen(t, client, "id_user", "ed25519")
	sshtest.Sign(t, ca, user, "auditor", false)
	agentKey := sshtest.Keygen(t, client, "id_agent", "ecdsa")
	root := filepath.Join(base, "tree")
	sshtest.WriteFile(t, root, "etc/hostname", "certified\n", 0o644)
	caFile := filepath.Join(client, "ca.pub")
	if err := os.WriteFile(caFile, []byte(ca.Public+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := sshtest.FreeAddr(t)
	r := sshtest.Start(t, sshtest.Server{Dir: filepath.Join(base, "sshd"), Tree: root, Listen: listen, User: "auditor",
		AuthorizedKeys: []string{agentKey.Public}, HostCA: &ca, Extra: []string{"TrustedUserCAKeys " + caFile}})
	host, port, _ := strings.Cut(listen, ":")
	kh := filepath.Join(client, "known_hosts")
	if err := os.WriteFile(kh, []byte("@cert-authority ["+host+"]:"+port+" "+ca.Public+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := ssh.ParseURL("ssh://auditor@" + listen)
	read := func(t *testing.T, cfg ssh.Config) {
		t.Helper()
		cfg.KnownHosts = []string{kh}
		d, err := ssh.NewDialer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tgt, err := d.Dial(context.Background(), addr)
		if err != nil {
			t.Fatalf("dial: %v\nsshd: %s", err, r.Log())
		}
		defer tgt.Close()
		if b, err := fs.ReadFile(tgt, "etc/hostname"); err != nil || string(b) != "certified\n" {
			t.Errorf("read: %q, %v", b, err)
		}
	}
	t.Run("user certificate", func(t *testing.T) { read(t, ssh.Config{Identities: []string{user.Private}}) })
	t.Run("ssh-agent", func(t *testing.T) {
		sock := filepath.Join(client, "agent.sock")
		agent := exec.Command("ssh-agent", "-D", "-a", sock)
		if err := agent.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { agent.Process.Kill(); agent.Wait() }()
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		add := exec.Command("ssh-add", agentKey.Private)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add: %v: %s", err, out)
		}
		read(t, ssh.Config{AgentSocket: sock})
	})
	t.Run("host certificate by an untrusted authority", func(t *testing.T) {
		other := sshtest.Keygen(t, client, "other_ca", "ed25519")
		bad := filepath.Join(client, "known_hosts_other")
		if err := os.WriteFile(bad, []byte("@cert-authority ["+host+"]:"+port+" "+other.Public+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := ssh.NewDialer(ssh.Config{KnownHosts: []string{bad}, Identities: []string{user.Private}})
		if err != nil {
			t.Fatal(err)
		}
		if tgt, err := d.Dial(context.Background(), addr); err == nil {
			tgt.Close()
			t.Fatal("a certificate by an untrusted authority was accepted")
		} else if !strings.Contains(err.Error(), "host certificate of") {
			t.Errorf("refusal: %v", err)
		}
	})
}

// TestProc: what processes keep in the host's /proc is refused over SSH
// as on a local target, unless allowed (--allow-proc), whether named or
// reached through a link; what blocks is refused even then; the network
// tables the collectors read are not.
func TestProc(t *testing.T) {
	s := startServerWith(t, func(dir string) {
		for _, l := range [][2]string{{"environ-link", "/proc/self/environ"}, {"proc-link", "/proc"}} {
			if err := os.Symlink(l[1], filepath.Join(dir, l[0])); err != nil {
				t.Fatal(err)
			}
		}
	}, sshtest.Server{MountKernel: true})
	for _, allow := range []bool{false, true} {
		tgt, err := s.dial(t, ssh.Config{AllowProc: allow})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, refused string // refused: "" when read, else what the error says
			allowed       bool   // read with AllowProc
		}{
			{"proc/self/environ", `"environ" of a process`, true},
			{"environ-link", `"environ" of a process`, true},
			{"proc-link/self/cmdline", `"cmdline" of a process`, true},
			{"proc/1/status", "", true},
			{"proc/net/arp", "", true},
			{"proc/sys/kernel/hostname", "", true},
			{"proc/kallsyms", "the addresses of the kernel's symbols", true},
			{"proc/kmsg", "reading it blocks", false},
		} {
			_, err := fs.ReadFile(tgt, tc.name)
			want := tc.refused
			if allow && tc.allowed {
				want = ""
			}
			switch {
			case want == "" && err != nil:
				t.Errorf("AllowProc %v: read %s: %v", allow, tc.name, err)
			case want != "" && (!errors.Is(err, targets.ErrProcRefused) || !strings.Contains(err.Error(), want)):
				t.Errorf("AllowProc %v: read %s: %v, want it refused: %s", allow, tc.name, err, want)
			}
		}
		if _, err := tgt.ReadLink("proc/self/fd/0"); !allow && !errors.Is(err, targets.ErrProcRefused) {
			t.Errorf("readlink proc/self/fd/0: %v, want it refused", err)
		}
		if err := tgt.Err(); err != nil {
			t.Errorf("AllowProc %v: connection: %v", allow, err)
		}
		tgt.Close()
	}
}
