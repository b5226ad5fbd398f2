package sshd

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
	"github.com/assay-dev/assay/targets/image"
)

// distroFixture is what detection must find on one root filesystem
// fixture (testdata/distros/NAME: a stock /etc/ssh, os-release and the
// package database of that distribution release).
type distroFixture struct {
	name, version, source, dist, distVersion, defaults, build string
	// settings are effective values the distribution's build or files set.
	settings map[string]string
}

var distroFixtures = []distroFixture{
	{"debian-11", "1:8.4p1-5+deb11u3", "dpkg", "debian", "11", "debian-8.4p1", "pam+gssapi+kerberos", map[string]string{"usepam": "yes", "kbdinteractiveauthentication": "no", "challengeresponseauthentication": "no", "gssapikeyexchange": "no", "ipqos": "lowdelay throughput"}},
	{"debian-12", "1:9.2p1-2+deb12u3", "dpkg", "debian", "12", "debian-9.2p1", "pam+gssapi+kerberos", map[string]string{"usepam": "yes", "kbdinteractiveauthentication": "no", "x11forwarding": "yes"}},
	{"debian-13", "1:10.0p1-7", "dpkg", "debian", "13", "debian-10.0p1", "pam+gssapi+kerberos", map[string]string{"usepam": "yes", "sshdsessionpath": "/usr/lib/openssh/sshd-session"}},
	{"ubuntu-20.04", "1:8.2p1-4ubuntu0.11", "dpkg", "ubuntu", "20.04", "debian-8.2p1", "pam+gssapi+kerberos", map[string]string{"challengeresponseauthentication": "no", "kbdinteractiveauthentication": "no", "pubkeyacceptedalgorithms": ""}},
	{"ubuntu-22.04", "1:8.9p1-3ubuntu0.10", "dpkg", "ubuntu", "22.04", "debian-8.9p1", "pam+gssapi+kerberos", map[string]string{"kbdinteractiveauthentication": "no", "persourcemaxstartups": "none"}},
	{"ubuntu-24.04", "1:9.6p1-3ubuntu13.5", "dpkg", "ubuntu", "24.04", "debian-9.6p1", "pam+gssapi+kerberos", map[string]string{"channeltimeout": "none", "requiredrsasize": "1024"}},
	{"rhel-8", "8.0p1-24.el8", "rpm", "rhel", "8.10", "redhat-8.0p1", "pam+gssapi+kerberos", map[string]string{
		"ciphers":         "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes256-cbc,aes128-gcm@openssh.com,aes128-ctr,aes128-cbc",
		"syslogfacility":  "AUTHPRIV",
		"pidfile":         "/var/run/sshd.pid",
		"permitrootlogin": "yes",
	}},
	{"rhel-9", "8.7p1-38.el9_4.4", "rpm", "rhel", "9.4", "redhat-8.7p1", "pam+gssapi+kerberos", map[string]string{
		"ciphers":         "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr",
		"requiredrsasize": "2048",
		"usepam":          "yes",
	}},
	{"alpine-3.22", "10.0_p1-r7", "apk", "alpine", "3.22.1", "alpine-10.0p1", "minimal", map[string]string{"usepam": "", "allowtcpforwarding": "no", "sshdsessionpath": "/usr/lib/ssh/sshd-session"}},
}

// materialize copies a fixture to a temporary root and gives it host keys
// (distributions generate them at installation or first boot; none is
// committed).
func materialize(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata/distros", name)
	root := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ed25519", "ecdsa"} {
		writeHostKey(t, filepath.Join(root, "etc/ssh/ssh_host_"+k+"_key"), k)
	}
	return root
}

func checkFixture(t *testing.T, f distroFixture, tgt target.Target) {
	t.Helper()
	s := &sink{}
	c := &Collector{Path: DefaultPath}
	if err := c.Collect(context.Background(), collector.Env{Target: tgt, Name: "main"}, s); err != nil {
		t.Fatal(err)
	}
	doc := s.docs[0]
	dist := doc["distribution"].(map[string]any)
	if doc["openssh_version"] != f.version || doc["version_source"] != f.source || dist["id"] != f.dist || dist["version_id"] != f.distVersion ||
		doc["defaults"] != f.defaults || doc["defaults_exact"] != true || doc["build"] != f.build {
		t.Errorf("detected %v from %v, distribution %v %v, defaults %v exact %v, build %v", doc["openssh_version"], doc["version_source"], dist["id"], dist["version_id"], doc["defaults"], doc["defaults_exact"], doc["build"])
	}
	if doc["valid"] != true {
		t.Errorf("the stock configuration is not valid: %v", doc["errors"])
	}
	settings := doc["settings"].(map[string]any)
	for k, want := range f.settings {
		got, ok := settings[k]
		if want == "" {
			if ok {
				t.Errorf("%s printed (%v); this build has no such keyword", k, got)
			}
			continue
		}
		if got != want {
			t.Errorf("%s = %v, want %q", k, got, want)
		}
	}
}

// TestDistroFixtures detects version, distribution and build on every
// fixture, as a root filesystem.
func TestDistroFixtures(t *testing.T) {
	for _, f := range distroFixtures {
		t.Run(f.name, func(t *testing.T) {
			tgt, err := targets.OpenDir(materialize(t, f.name))
			if err != nil {
				t.Fatal(err)
			}
			defer tgt.Close()
			checkFixture(t, f, tgt)
		})
	}
}

// TestDistroImages scans each fixture as a container image (one layer,
// docker-save tarball): the same defaults table.
func TestDistroImages(t *testing.T) {
	for _, f := range distroFixtures {
		t.Run(f.name, func(t *testing.T) {
			root := materialize(t, f.name)
			layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return tarDir(root) })
			if err != nil {
				t.Fatal(err)
			}
			img, err := mutate.AppendLayers(empty.Image, layer)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := name.NewTag("assay.test/" + strings.ReplaceAll(f.name, ".", "-") + ":latest")
			p := filepath.Join(t.TempDir(), "image.tar")
			if err := tarball.WriteToFile(p, ref, img); err != nil {
				t.Fatal(err)
			}
			tgt, err := image.Open(context.Background(), p, image.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer tgt.Close()
			checkFixture(t, f, tgt)
		})
	}
}

// tarDir is a tar stream of the files under root, modes kept.
func tarDir(root string) (io.ReadCloser, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = rel
		if d.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "root", "root"
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}
