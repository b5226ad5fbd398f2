// Package sshtest runs real OpenSSH servers for tests: each sshd serves
// SFTP only (internal-sftp), chrooted into a tree of files the test builds,
// with its own configuration, users and authorized keys, in a private
// mount namespace (its own /etc/passwd, /etc/group and /etc/shadow, and a
// sysfs and procfs mounted in the tree when asked) and, optionally, in a
// network namespace. Nothing of the machine's own sshd, accounts or
// interfaces is touched.
//
// It needs root, unshare(1), mount(8), sshd and ssh-keygen; Require says
// so the internal/testenv way (fail in CI, skip elsewhere).
package sshtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/assay-dev/assay/internal/testenv"
)

// Require fails the test in CI, and skips it elsewhere, unless real sshd
// servers can run here.
func Require(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "sshd binds its port, chroots its SFTP sessions and runs in a private mount namespace")
	testenv.RequireCapability(t, testenv.CapSysAdmin, "unshare --mount and mount --bind for the test sshd")
	for _, tool := range [][2]string{{"sshd", "openssh-server"}, {"ssh-keygen", "openssh-client"}, {"unshare", "util-linux"}, {"mount", "mount"}} {
		testenv.RequireTool(t, tool[0], tool[1])
	}
}

// BaseDir makes a directory for chroot trees: sshd refuses a
// ChrootDirectory any of whose ancestors is writable by others, as /tmp
// is, so it lives in /run, root's own. It is removed at the end of the
// test.
func BaseDir(t testing.TB) string {
	t.Helper()
	dir := fmt.Sprintf("/run/assay-sshtest-%d-%06x", os.Getpid(), rand.N(1<<24))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Key is a key pair made by ssh-keygen.
type Key struct {
	Private string // the private key file
	Public  string // its public key line, "ssh-ed25519 AAAA… comment"
}

// Keygen makes a key pair of type typ (ed25519, ecdsa, rsa) at dir/name.
func Keygen(t testing.TB, dir, name, typ string) Key {
	t.Helper()
	p := filepath.Join(dir, name)
	args := []string{"-q", "-t", typ, "-N", "", "-C", name, "-f", p}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v: %s", name, err, out)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return Key{Private: p, Public: strings.TrimSpace(string(pub))}
}

// Sign certifies key with the CA key ca (ssh-keygen -s) for principal: a
// host certificate when host is set, a user certificate otherwise. The
// certificate is written beside the key, KEY-cert.pub, where ssh(1) and
// assay look for it.
func Sign(t testing.TB, ca, key Key, principal string, host bool) {
	t.Helper()
	args := []string{"-q", "-s", ca.Private, "-I", principal, "-n", principal, "-V", "-5m:+1h"}
	if host {
		args = append(args, "-h")
	}
	args = append(args, key.Private+".pub")
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -s: %v: %s", err, out)
	}
}

// Server describes one sshd to start.
type Server struct {
	// Dir holds the server's own files (host key, configuration, account
	// files, authorized keys); Tree is what its SFTP sessions see as "/".
	Dir, Tree string
	// Listen is the address sshd listens on, "10.78.0.1:22".
	Listen string
	// NetNS is the network namespace sshd runs in ("": the caller's).
	NetNS string
	// User logs in with the keys AuthorizedKeys; it has uid 0, so that it
	// reads what a local scan as root reads.
	User           string
	AuthorizedKeys []string
	// HostKeyType is the host key's type (default ed25519).
	HostKeyType string
	// MountKernel mounts a sysfs and a procfs at the tree's sys and proc,
	// from inside the server's namespaces: its interfaces and neighbours.
	MountKernel bool
	// HostCA, when set, signs the host key for the listen address's host:
	// sshd presents the certificate (HostCertificate).
	HostCA *Key
	// Extra are more sshd_config lines.
	Extra []string
}

// Running is a started sshd.
type Running struct {
	Server
	HostKey Key
	cmd     *exec.Cmd
	mu      sync.Mutex
	stderr  strings.Builder
	waiters []waiter
	done    chan struct{}
}

type waiter struct {
	text string
	ch   chan struct{}
}

// Await returns a channel closed once sshd logs, from now on, a line
// holding text ("Accepted publickey": a session has started).
func (r *Running) Await(text string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	r.waiters = append(r.waiters, waiter{text, ch})
	return ch
}

// AwaitReading returns a channel closed once a session has started and
// the server's processes have made reads more read(2) calls since: the
// client is past logging in and starting SFTP, and reading files.
func (r *Running) AwaitReading(reads int) <-chan struct{} {
	accepted := r.Await("Accepted publickey")
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		select {
		case <-accepted:
		case <-r.done:
			return
		}
		base := r.readCalls()
		for r.readCalls()-base < reads {
			select {
			case <-r.done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return ch
}

// readCalls sums the read(2) calls (syscr) of the server's processes.
func (r *Running) readCalls() int {
	n := 0
	for _, pid := range descendants(r.cmd.Process.Pid) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "syscr: "); ok {
				c, _ := strconv.Atoi(v)
				n += c
			}
		}
	}
	return n
}

// Start starts the server and waits until it listens. It is stopped at
// the end of the test.
func Start(t testing.TB, s Server) *Running {
	t.Helper()
	sshd, err := testenv.LookTool("sshd")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation
		t.Fatal(err)
	}
	if s.HostKeyType == "" {
		s.HostKeyType = "ed25519"
	}
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(s.Dir, 0o755))
	r := &Running{Server: s, done: make(chan struct{})}
	r.HostKey = Keygen(t, s.Dir, "ssh_host_key", s.HostKeyType)
	var hostCert []string
	if s.HostCA != nil {
		host, _, _ := strings.Cut(s.Listen, ":")
		Sign(t, *s.HostCA, r.HostKey, host, true)
		hostCert = []string{"HostCertificate " + r.HostKey.Private + "-cert.pub"}
	}
	// Accounts: sshd's privilege separation user, and the scanning user.
	must(os.WriteFile(filepath.Join(s.Dir, "passwd"), []byte(
		"root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n"+
			s.User+":x:0:0:scanner:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"), 0o644))
	must(os.WriteFile(filepath.Join(s.Dir, "group"), []byte("root:x:0:\nnogroup:x:65534:\n"), 0o644))
	must(os.WriteFile(filepath.Join(s.Dir, "shadow"), []byte("root:*:19000:0:99999:7:::\n"+s.User+":*:19000:0:99999:7:::\n"), 0o600))
	must(os.WriteFile(filepath.Join(s.Dir, "authorized_keys"), []byte(strings.Join(s.AuthorizedKeys, "\n")+"\n"), 0o600))
	host, port, ok := strings.Cut(s.Listen, ":")
	if !ok {
		t.Fatalf("sshtest: listen address %q has no port", s.Listen)
	}
	cfg := []string{
		"ListenAddress " + host, "Port " + port,
		"HostKey " + r.HostKey.Private,
		"PidFile none",
		"AuthorizedKeysFile " + filepath.Join(s.Dir, "authorized_keys"),
		"PubkeyAuthentication yes", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
		"UsePAM no", "PermitRootLogin prohibit-password", "AllowUsers " + s.User,
		"ChrootDirectory " + s.Tree, "ForceCommand internal-sftp -l INFO", "Subsystem sftp internal-sftp",
		"AllowAgentForwarding no", "AllowTcpForwarding no", "X11Forwarding no", "PermitTTY no",
		"LogLevel INFO", "MaxStartups 100",
	}
	cfg = append(cfg, hostCert...)
	cfg = append(cfg, s.Extra...)
	conf := filepath.Join(s.Dir, "sshd_config")
	must(os.WriteFile(conf, []byte(strings.Join(cfg, "\n")+"\n"), 0o644))

	var script strings.Builder
	script.WriteString("set -e\n")
	for _, f := range []string{"passwd", "group", "shadow"} {
		fmt.Fprintf(&script, "mount --bind %q /etc/%s\n", filepath.Join(s.Dir, f), f)
	}
	if s.MountKernel {
		fmt.Fprintf(&script, "mkdir -p %q %q\nmount -t sysfs sysfs %q\nmount -t proc proc %q\n",
			filepath.Join(s.Tree, "sys"), filepath.Join(s.Tree, "proc"), filepath.Join(s.Tree, "sys"), filepath.Join(s.Tree, "proc"))
	}
	fmt.Fprintf(&script, "exec %s -D -e -f %q\n", sshd, conf)
	args := []string{"unshare", "--mount", "--propagation", "private", "sh", "-c", script.String()}
	if s.NetNS != "" {
		args = append([]string{"ip", "netns", "exec", s.NetNS}, args...)
	}
	r.cmd = exec.Command(args[0], args[1:]...)
	errPipe, err := r.cmd.StderrPipe()
	must(err)
	must(r.cmd.Start())
	ready := make(chan struct{})
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(errPipe)
		once := sync.Once{}
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.WriteString(sc.Text() + "\n")
			kept := r.waiters[:0]
			for _, w := range r.waiters {
				if strings.Contains(sc.Text(), w.text) {
					close(w.ch)
				} else {
					kept = append(kept, w)
				}
			}
			r.waiters = kept
			r.mu.Unlock()
			if strings.Contains(sc.Text(), "Server listening on") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, errPipe)
		_ = r.cmd.Wait()
	}()
	t.Cleanup(r.Stop)
	select {
	case <-ready:
	case <-r.done:
		t.Fatalf("sshd %s exited before listening: %s", s.Listen, r.Log())
	case <-time.After(15 * time.Second):
		t.Fatalf("sshd %s not listening after 15s: %s", s.Listen, r.Log())
	}
	return r
}

// Log is what sshd wrote so far.
func (r *Running) Log() string { r.mu.Lock(); defer r.mu.Unlock(); return r.stderr.String() }

// Signal sends sig to every process of the server: the listener and the
// sessions it forked, which sshd puts in sessions of their own. SIGSTOP
// makes a server that stops answering mid-scan, SIGCONT lets it go on.
func (r *Running) Signal(sig syscall.Signal) error {
	pids := append([]int{r.cmd.Process.Pid}, descendants(r.cmd.Process.Pid)...)
	var first error
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && first == nil && !errors.Is(err, syscall.ESRCH) {
			first = err
		}
	}
	return first
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], n)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Stop ends the server and its sessions.
func (r *Running) Stop() {
	pids := append([]int{r.cmd.Process.Pid}, descendants(r.cmd.Process.Pid)...)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	<-r.done
}

// KnownHostsLine is the known_hosts line of the server's host key, as
// ssh-keyscan would print it (hashed when hashed is set).
func (r *Running) KnownHostsLine(hashed bool) string {
	host, port, _ := strings.Cut(r.Listen, ":")
	name := host
	if port != "22" {
		name = "[" + host + "]:" + port
	}
	if hashed {
		name = knownhosts.HashHostname(name)
	}
	return name + " " + r.HostKey.Public
}

// WriteFile writes content at rel inside dir, making its directories.
func WriteFile(t testing.TB, dir, rel, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// FreeAddr is a 127.0.0.1 address with a port free a moment ago, for a
// server of the caller's network namespace.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
