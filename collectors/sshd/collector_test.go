package sshd

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

type sink struct {
	mu    sync.Mutex
	docs  []document.Document
	skips []string
}

func (s *sink) Emit(d document.Document) { s.mu.Lock(); s.docs = append(s.docs, d); s.mu.Unlock() }
func (s *sink) Skip(p string, err error) { s.mu.Lock(); s.skips = append(s.skips, p); s.mu.Unlock() }

// factory decodes a collect block body with the registered kind.
func factory(t *testing.T, src string) (collector.Collector, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return Type().New(f.Body, nil)
}

func collect(t *testing.T, c collector.Collector, root string) (*sink, error) {
	t.Helper()
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	s := &sink{}
	err = c.Collect(context.Background(), collector.Env{Target: tgt, Name: "main"}, s)
	return s, err
}

func TestFactory(t *testing.T) {
	tests := []struct {
		name, src string
		wantErr   string
		specs     int
	}{
		{"defaults", ``, "", 0},
		{"path and specs", "path = \"/etc/ssh/sshd_config\"\nmatch {\n user = \"root\"\n}\nmatch {\n user = \"alice\"\n addr = \"10.0.0.1\"\n lport = 22\n}\n", "", 2},
		{"relative path", `path = "etc/ssh/sshd_config"`, "test.hcl:1,8-29: Invalid sshd_config path", 0},
		{"unknown attribute", `paths = ["/x"]`, "Unsupported argument", 0},
		{"unknown match field", "match {\n usr = \"root\"\n}\n", "Unsupported argument", 0},
		{"bad lport", "match {\n lport = 70000\n}\n", "Invalid lport", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := factory(t, tt.src)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("diags %v, want %q", diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := len(c.(*Collector).Specs); got != tt.specs {
				t.Fatalf("specs %d, want %d", got, tt.specs)
			}
		})
	}
}

func TestCollectDocuments(t *testing.T) {
	root := writeTree(t, map[string]string{
		"etc/ssh/sshd_config":          "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nMatch User alice\n\tPasswordAuthentication yes\n",
		"etc/ssh/sshd_config.d/a.conf": "PermitRootLogin no\nBogusKeyword 1\n",
		"var/lib/dpkg/status":          "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u10\n\nPackage: x\nStatus: install ok installed\nVersion: 1\n",
	})
	c, diags := factory(t, "match {\n user = \"alice\"\n}\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s, err := collect(t, c, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.docs) != 2 {
		t.Fatalf("%d documents, want 2", len(s.docs))
	}
	base, alice := s.docs[0], s.docs[1]
	if got := base["settings"].(map[string]any)["passwordauthentication"]; got != "no" {
		t.Errorf("base passwordauthentication %v", got)
	}
	if got := alice["settings"].(map[string]any)["passwordauthentication"]; got != "yes" {
		t.Errorf("alice passwordauthentication %v", got)
	}
	if got := alice["sources"].(map[string]any)["passwordauthentication"].(map[string]any); got["line"] != 4 || got["path"] != "/etc/ssh/sshd_config" {
		t.Errorf("alice source %v", got)
	}
	if got := base["sources"].(map[string]any)["permitrootlogin"].(map[string]any); got["path"] != "/etc/ssh/sshd_config.d/a.conf" || got["line"] != 1 {
		t.Errorf("permitrootlogin source %v", got)
	}
	if base["openssh_version"] != "1:9.2p1-2+deb12u10" || base["version_source"] != "dpkg" || base["defaults_exact"] != true || base["openssh_release"] != "9.2p1" {
		t.Errorf("version fields %v %v %v %v", base["openssh_version"], base["version_source"], base["defaults_exact"], base["openssh_release"])
	}
	if base["valid"] != false {
		t.Error("a configuration with an unknown keyword is not valid")
	}
	errs := base["errors"].([]any)
	first := errs[0].(map[string]any)
	if first["path"] != "/etc/ssh/sshd_config.d/a.conf" || first["line"] != 2 || !strings.Contains(first["message"].(string), "Bad configuration option: BogusKeyword") {
		t.Errorf("errors %v", errs)
	}
	files := base["files"].([]any)
	if len(files) != 2 || files[1] != "/etc/ssh/sshd_config.d/a.conf" {
		t.Errorf("files %v", files)
	}
	if d := alice["differs"].([]any); len(d) != 1 || d[0] != "passwordauthentication" {
		t.Errorf("alice differs %v, want only what her Match block changed", d)
	}
	if d := base["differs"].([]any); len(d) != 0 {
		t.Errorf("base differs %v, want none", d)
	}
	if base["collector"] != "main" || base["kind"] != KindName || base["path"] != DefaultPath {
		t.Errorf("identity fields %v %v %v", base["collector"], base["kind"], base["path"])
	}
}

func TestVersionNearest(t *testing.T) {
	for _, tt := range []struct {
		status, version, source, defaults string
		exact                             bool
	}{
		{"", "", "none", "upstream-10.5p1", false},
		{"Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.6p1-3ubuntu13\n", "1:9.6p1-3ubuntu13", "dpkg", "upstream-9.6p1", true},
		{"Package: openssh-server\nStatus: deinstall ok config-files\nVersion: 1:9.2p1-2\n", "", "none", "upstream-10.5p1", false},
		{"Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n", "1:9.2p1-2", "dpkg", "upstream-9.2p1", true},
		{"Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.3p2-1\n", "1:9.3p2-1", "dpkg", "upstream-9.2p1", false},
		{"Package: openssh-server\nStatus: install ok installed\nVersion: 1:7.9p1-10+deb10u4\n", "1:7.9p1-10+deb10u4", "dpkg", "upstream-8.0p1", false},
	} {
		files := map[string]string{}
		if tt.status != "" {
			files["var/lib/dpkg/status"] = tt.status
		}
		root := writeTree(t, files)
		tgt, err := targets.OpenDir(root)
		if err != nil {
			t.Fatal(err)
		}
		vi := detectVersion(tgt)
		tgt.Close()
		if tt.defaults == "upstream-10.5p1" {
			// unknown: the newest release recorded
			tt.defaults = "upstream-" + releaseNames[len(releaseNames)-1]
		}
		if vi.Version != tt.version || vi.Source != tt.source || vi.Exact != tt.exact || vi.Profile.Name != tt.defaults {
			t.Errorf("%q: got %s %s %v %s", tt.status, vi.Version, vi.Source, vi.Exact, vi.Profile.Name)
		}
	}
}

// TestBadInput: nothing panics, hangs or escapes the root.
func TestBadInput(t *testing.T) {
	t.Run("missing main file", func(t *testing.T) {
		root := t.TempDir()
		c, _ := factory(t, "")
		_, err := collect(t, c, root)
		if !errors.Is(err, collector.ErrNotApplicable) {
			t.Fatalf("err %v, want ErrNotApplicable", err)
		}
	})
	t.Run("include loop", func(t *testing.T) {
		root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"})
		c, _ := factory(t, "")
		s, err := collect(t, c, root)
		if err != nil {
			t.Fatal(err)
		}
		if s.docs[0]["valid"] != false || !strings.Contains(errorsText(s.docs[0]), "Too many recursive configuration includes") {
			t.Fatalf("errors %v", s.docs[0]["errors"])
		}
	})
	t.Run("include fan-out", func(t *testing.T) {
		// A file that includes itself twice: sshd stops at the first "Too
		// many recursive" error; carrying on would parse it 2^17 times.
		root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\nInclude sshd_config\n"})
		c, _ := factory(t, "")
		type result struct {
			s   *sink
			err error
		}
		done := make(chan result, 1)
		go func() { s, err := collect(t, c, root); done <- result{s, err} }()
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.s.docs[0]["valid"] != false || !strings.Contains(errorsText(r.s.docs[0]), "Too many recursive configuration includes") {
				t.Fatalf("errors %v", r.s.docs[0]["errors"])
			}
		case <-time.After(20 * time.Second):
			t.Fatal("still parsing after 20s: nested includes are followed past the first depth error")
		}
	})
	t.Run("include escapes root", func(t *testing.T) {
		outside := t.TempDir()
		if err := os.WriteFile(filepath.Join(outside, "evil.conf"), []byte("PermitRootLogin yes\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "Include ../../../../../.." + outside + "/evil.conf\nInclude /etc/ssh/link.conf\n"})
		if err := os.Symlink(filepath.Join(outside, "evil.conf"), filepath.Join(root, "etc/ssh/link.conf")); err != nil {
			t.Fatal(err)
		}
		c, _ := factory(t, "")
		s, err := collect(t, c, root)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.docs[0]["settings"].(map[string]any)["permitrootlogin"]; got != "without-password" && got != "prohibit-password" {
			t.Fatalf("read outside the root: permitrootlogin %v", got)
		}
	})
	t.Run("fifo include", func(t *testing.T) {
		root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "Include /etc/ssh/fifo.conf\nPermitRootLogin no\n"})
		if err := syscall.Mkfifo(filepath.Join(root, "etc/ssh/fifo.conf"), 0o644); err != nil {
			t.Skip(err)
		}
		c, _ := factory(t, "")
		s, err := collect(t, c, root)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errorsText(s.docs[0]), "fifo.conf") {
			t.Fatalf("errors %v", s.docs[0]["errors"])
		}
		if got := s.docs[0]["settings"].(map[string]any)["permitrootlogin"]; got != "no" {
			t.Fatalf("lost the lines after a bad include: %v", got)
		}
	})
	t.Run("fifo host key, package database and sshd binary", func(t *testing.T) {
		// sshd's files and the version sources are read from the target
		// too: a FIFO in their place must not hang the scan.
		root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "HostKey /etc/ssh/ssh_host_ed25519_key\n"})
		for _, p := range []string{"etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub", "var/lib/dpkg/status", "usr/sbin/sshd", "etc/os-release"} {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(root, p), 0o644); err != nil {
				t.Skip(err)
			}
		}
		c, _ := factory(t, "")
		done := make(chan *sink, 1)
		go func() { s, _ := collect(t, c, root); done <- s }()
		select {
		case s := <-done:
			if s == nil || len(s.docs) != 1 || s.docs[0]["valid"] != false || s.docs[0]["version_source"] != "none" {
				t.Fatalf("documents %v", s)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("hung on a FIFO")
		}
	})
	t.Run("binary garbage", func(t *testing.T) {
		root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "\x00\xff\xfe\"\nPort 99999\nMatch\n=\n\"unterminated\nPermitRootLogin no\n"})
		c, _ := factory(t, "")
		s, err := collect(t, c, root)
		if err != nil {
			t.Fatal(err)
		}
		if s.docs[0]["valid"] != false {
			t.Fatal("garbage is not valid")
		}
		if got := s.docs[0]["settings"].(map[string]any)["permitrootlogin"]; got != "no" {
			t.Fatalf("permitrootlogin %v", got)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		root := writeTree(t, nil)
		c, _ := factory(t, "")
		tgt, _ := targets.OpenDir(root)
		defer tgt.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.Collect(ctx, collector.Env{Target: tgt}, &sink{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
}

func errorsText(d document.Document) string {
	var b strings.Builder
	for _, e := range d["errors"].([]any) {
		m := e.(map[string]any)
		b.WriteString(m["message"].(string) + "\n")
	}
	return b.String()
}

var _ fs.FS = (*targets.Dir)(nil)

func BenchmarkCollect(b *testing.B) {
	root := writeTree(b, map[string]string{
		"etc/ssh/sshd_config":                "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\nMatch User alice\n\tPasswordAuthentication yes\nMatch Address 10.0.0.0/8\n\tPermitRootLogin yes\n",
		"etc/ssh/sshd_config.d/10-cis.conf":  "PermitRootLogin no\nMaxAuthTries 4\nCiphers -*cbc\nMACs -*sha1*\nLogLevel VERBOSE\n",
		"etc/ssh/sshd_config.d/20-more.conf": "ClientAliveInterval 300\nClientAliveCountMax 3\n",
	})
	c, diags := New(hcl.EmptyBody(), nil)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	c.(*Collector).Specs = []ConnInfo{{User: "root", Addr: "10.1.1.1"}, {User: "alice"}}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		b.Fatal(err)
	}
	defer tgt.Close()
	b.ReportAllocs()
	for b.Loop() {
		s := &sink{}
		if err := c.Collect(context.Background(), collector.Env{Target: tgt}, s); err != nil {
			b.Fatal(err)
		}
	}
}
