package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"bundle.hcl":          {Data: []byte("bundle \"t\" {\n  version = \"1.0.0\"\n}\n")},
		"rego/p.rego":         {Data: []byte("package t.p\n\ndeny contains \"x\" if input.bad\n")},
		"rego/p_test.rego":    {Data: []byte("package t.p_test\n")},
		"data/known.json":     {Data: []byte(`{"a": 1}`)},
		".git/HEAD":           {Data: []byte("ref: refs/heads/main\n")},
		".hidden":             {Data: []byte("x")},
		"README.md":           {Data: []byte("# t\n")},
		"rego/.editor-backup": {Data: []byte("x")},
	}
}

func testManifest() Manifest {
	return Manifest{Name: "t", Version: "1.0.0", Revision: "abc123", AssayVersion: "0.4.0"}
}

func mustBuild(t *testing.T) []byte {
	t.Helper()
	data, err := Build(testFS(), testManifest())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBuildReproducible: the same files give the same bytes, whatever the
// file system's times and modes; a changed file gives other bytes.
func TestBuildReproducible(t *testing.T) {
	a := mustBuild(t)
	fsys := testFS()
	for _, f := range fsys {
		f.Mode = 0o600
	}
	b, err := Build(fsys, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same files differ")
	}
	// from a real directory, written in another order, with other mtimes
	dir := t.TempDir()
	names := []string{"rego/p_test.rego", "README.md", "data/known.json", "bundle.hcl", "rego/p.rego"}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, testFS()[n].Data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Build(os.DirFS(dir), testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c) {
		t.Fatal("a build from a directory differs from the same files in memory")
	}
	fsys["rego/p.rego"] = &fstest.MapFile{Data: []byte("package t.p\n")}
	d, err := Build(fsys, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, d) {
		t.Fatal("a changed file gave the same archive")
	}
}

// TestBuildHeaders: fixed owners, times and modes; no gzip name or time;
// hidden files left out; the manifest lists every file with its digest.
func TestBuildHeaders(t *testing.T) {
	data := mustBuild(t)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" {
		t.Errorf("gzip header has name %q, time %v, comment %q", zr.Name, zr.ModTime, zr.Comment)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.Mode != 0o644 || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: uid %d gid %d uname %q gname %q mode %o mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.Mode, h.ModTime)
		}
	}
	want := ".manifest README.md bundle.hcl data/known.json rego/p.rego rego/p_test.rego"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries %q, want %q", got, want)
	}
	a, err := Open(context.Background(), data, "t.tar.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := a.Manifest
	if m == nil || m.Name != "t" || m.Version != "1.0.0" || m.Revision != "abc123" || m.AssayVersion != "0.4.0" || len(m.Files) != 5 {
		t.Fatalf("manifest %+v", m)
	}
	// sha256 of `{"a": 1}`, as sha256sum prints it
	if f := m.Files[2]; f.Name != "data/known.json" || f.SHA256 != "f9d86028c6e0d64e225186f96acb69338b2c59764df79162107f5c4bb34d1310" {
		t.Errorf("manifest file %+v", f)
	}
}

// TestBuildRefusesSymlink: a link in the bundle directory is not followed.
func TestBuildRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte("bundle \"x\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.json")); err != nil {
		t.Fatal(err)
	}
	_, err := Build(os.DirFS(dir), Manifest{Name: "x"})
	if err == nil || !strings.Contains(err.Error(), "passwd.json is not a regular file") {
		t.Fatalf("err = %v", err)
	}
}

type keyPair struct {
	name string
	priv PrivateKey
	pub  []byte // PEM
}

func genKeys(t *testing.T) []keyPair {
	t.Helper()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var out []keyPair
	for _, k := range []struct {
		name string
		key  any
		pemT string
	}{
		{"ed25519", edKey, "PRIVATE KEY"},
		{"rsa", rsaKey, "RSA PRIVATE KEY"},
		{"ecdsa-p256", ecKey, "EC PRIVATE KEY"},
		{"ecdsa-p384", ec384, "PRIVATE KEY"},
	} {
		privPEM, pubPEM := EncodeKeyPair(t, k.key, k.pemT)
		priv, err := ParsePrivateKey(privPEM)
		if err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		out = append(out, keyPair{k.name, priv, pubPEM})
	}
	return out
}

// EncodeKeyPair PEM-encodes a private key in the given block type and its
// public key as PKIX, as openssl writes them.
func EncodeKeyPair(t *testing.T, key any, blockType string) (priv, pub []byte) {
	t.Helper()
	var der []byte
	var err error
	switch blockType {
	case "RSA PRIVATE KEY":
		der = x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))
	case "EC PRIVATE KEY":
		der, err = x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	default:
		der, err = x509.MarshalPKCS8PrivateKey(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	var pubKey any
	switch k := key.(type) {
	case ed25519.PrivateKey:
		pubKey = k.Public()
	case *rsa.PrivateKey:
		pubKey = k.Public()
	case *ecdsa.PrivateKey:
		pubKey = k.Public()
	}
	pder, err := x509.MarshalPKIXPublicKey(pubKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder})
}

// TestSignVerify signs with each kind of key and verifies with the right
// key, then refuses the same archive under every other key.
func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	keys := genKeys(t)
	data := mustBuild(t)
	for i, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			signed, err := Sign(ctx, data, k.priv)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeys(k.pub)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Open(ctx, signed, "t.tar.gz", Options{Keys: pub, AssayVersion: "0.4.0"})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if a.KeyID != pub[0].ID || a.KeyID != k.priv.Public.ID {
				t.Errorf("key id %q, want %q", a.KeyID, pub[0].ID)
			}
			if _, err := fs.ReadFile(a.FS, "rego/p.rego"); err != nil {
				t.Error(err)
			}
			// any of several trusted keys will do (rotation)
			var all []PublicKey
			for _, o := range keys {
				p, _ := ParsePublicKeys(o.pub)
				all = append(all, p...)
			}
			if _, err := Open(ctx, signed, "t.tar.gz", Options{Keys: all}); err != nil {
				t.Errorf("with all keys trusted: %v", err)
			}
			other := keys[(i+1)%len(keys)]
			op, _ := ParsePublicKeys(other.pub)
			_, err = Open(ctx, signed, "t.tar.gz", Options{Keys: op})
			if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "not made by a trusted key") || !strings.Contains(err.Error(), k.priv.Public.ID) {
				t.Errorf("signed by %s, verified with %s: err = %v", k.name, other.name, err)
			}
		})
	}
}

// TestVerifyRefuses: every tampering with a signed archive is refused and
// the message names the file.
func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	keys := genKeys(t)
	key := keys[0]
	pub, _ := ParsePublicKeys(key.pub)
	signed, err := Sign(ctx, mustBuild(t), key.priv)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Open(ctx, signed, "t.tar.gz", Options{Keys: pub})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(files map[string][]byte)) []byte {
		files := map[string][]byte{}
		for n, d := range base.files {
			files[n] = d
		}
		f(files)
		out, err := writeArchive(files)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name    string
		data    []byte
		keys    []PublicKey
		is      error
		message string
	}{
		{"changed rego", edit(func(f map[string][]byte) { f["rego/p.rego"] = []byte("package t.p\n") }), pub, ErrDigest, "rego/p.rego has sha256"},
		{"added file", edit(func(f map[string][]byte) { f["rego/evil.rego"] = []byte("package evil\n") }), pub, ErrDigest, "rego/evil.rego is in the archive but not covered by the signature"},
		{"removed file", edit(func(f map[string][]byte) { delete(f, "data/known.json") }), pub, ErrDigest, "data/known.json is signed but missing"},
		{"changed manifest", edit(func(f map[string][]byte) {
			f[ManifestName] = bytes.Replace(f[ManifestName], []byte(`"0.4.0"`), []byte(`"0.1.0"`), 1)
		}), pub, ErrDigest, ".manifest has sha256"},
		{"no signature", edit(func(f map[string][]byte) { delete(f, SignaturesName) }), pub, ErrSignature, "not signed"},
		{"garbage signature", edit(func(f map[string][]byte) { f[SignaturesName] = []byte(`{"signatures":["a.b.c"]}`) }), pub, ErrSignature, "not made by a trusted key"},
		{"two signatures", edit(func(f map[string][]byte) {
			f[SignaturesName] = []byte(`{"signatures":["a.b.c","d.e.f"]}`)
		}), pub, ErrSignature, "2 signatures"},
		{"plugin", edit(func(f map[string][]byte) { f[SignaturesName] = []byte(`{"signatures":["a.b.c"],"plugin":"x"}`) }), pub, ErrSignature, `plugin "x"`},
		{"no manifest", func() []byte {
			d, _ := writeArchive(map[string][]byte{"bundle.hcl": []byte("x")})
			return d
		}(), pub, ErrSignature, "has no .manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Open(ctx, tt.data, "t.tar.gz", Options{Keys: tt.keys})
			if a != nil || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("artifact %v, err = %v; want %v containing %q", a != nil, err, tt.is, tt.message)
			}
		})
	}
}

// TestManifestDigests: without keys, the manifest's digests are still
// checked.
func TestManifestDigests(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, mustBuild(t), "t.tar.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for n, d := range a.files {
		files[n] = d
	}
	files["bundle.hcl"] = []byte("bundle \"evil\" {}\n")
	data, _ := writeArchive(files)
	_, err = Open(ctx, data, "t.tar.gz", Options{})
	if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), "bundle.hcl has sha256") {
		t.Fatalf("err = %v", err)
	}
}

func TestAssayVersion(t *testing.T) {
	tests := []struct {
		required, running string
		ok                bool
	}{
		{"", "0.1.0", true},
		{"0.4.0", "0.4.0", true},
		{"0.4.0", "v0.5.1", true},
		{"v0.4.0", "0.3.9", false},
		{"1.0.0", "1.0.0-rc.1", false},
		{"0.4", "0.4.0", true},
		{"0.4.0", "dev", true},
	}
	for _, tt := range tests {
		err := CheckAssayVersion(tt.required, tt.running)
		if (err == nil) != tt.ok {
			t.Errorf("CheckAssayVersion(%q, %q) = %v", tt.required, tt.running, err)
		}
		if !tt.ok && (!errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "upgrade assay")) {
			t.Errorf("err = %v", err)
		}
	}
	m := testManifest()
	m.AssayVersion = "9.0.0"
	data, err := Build(testFS(), m)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), data, "t.tar.gz", Options{AssayVersion: "0.4.0"})
	if !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "bundle t 1.0.0: bundle needs a newer assay: it needs assay 9.0.0 or newer, and this is assay 0.4.0") {
		t.Fatalf("err = %v", err)
	}
}

// rawTar writes a tar.gz of hand-made entries, attacks included.
func rawTar(t *testing.T, entries ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range entries {
		body := []byte("package x\n")
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// TestOpenRefusesUnsafeArchives: path escapes, links and duplicates are
// refused, naming the entry; nothing is returned.
func TestOpenRefusesUnsafeArchives(t *testing.T) {
	reg := func(name string) tar.Header { return tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644} }
	full := mustBuild(t)
	tests := []struct {
		name    string
		data    []byte
		message string
	}{
		{"dotdot", rawTar(t, reg("p.rego"), reg("../evil.rego")), `"../evil.rego"`},
		{"absolute", rawTar(t, reg("p.rego"), reg("/etc/evil.rego")), "absolute path"},
		{"symlink", rawTar(t, reg("p.rego"), tar.Header{Typeflag: tar.TypeSymlink, Name: "q.rego", Linkname: "/etc/passwd"}), "symbolic link"},
		{"hardlink", rawTar(t, reg("p.rego"), tar.Header{Typeflag: tar.TypeLink, Name: "q.rego", Linkname: "p.rego"}), "hard link"},
		{"duplicate", rawTar(t, reg("p.rego"), reg("p.rego")), "appears twice"},
		{"truncated", full[:len(full)/2], "not a readable .tar.gz"},
		{"not gzip", []byte("<html>oops</html>"), "not a readable .tar.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Open(context.Background(), tt.data, "t.tar.gz", Options{})
			if a != nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("artifact %v, err = %v; want one containing %q", a != nil, err, tt.message)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	keys := genKeys(t)
	if _, err := ParsePublicKeys([]byte("nothing here")); err == nil {
		t.Error("no PEM: no error")
	}
	priv, _ := EncodeKeyPair(t, mustRSA(t, 1024), "RSA PRIVATE KEY")
	if _, err := ParsePrivateKey(priv); err == nil || !strings.Contains(err.Error(), "at least 2048") {
		t.Errorf("1024-bit RSA: %v", err)
	}
	privPEM, _ := EncodeKeyPair(t, ed25519.NewKeyFromSeed(make([]byte, 32)), "PRIVATE KEY")
	if _, err := ParsePublicKeys(privPEM); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("private key as public: %v", err)
	}
	// two public keys in one file
	both := append(append([]byte{}, keys[0].pub...), keys[1].pub...)
	pk, err := ParsePublicKeys(both)
	if err != nil || len(pk) != 2 || pk[0].Algorithm != "EdDSA" || pk[1].Algorithm != "RS256" {
		t.Errorf("two keys: %v %+v", err, pk)
	}
}

func mustRSA(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
