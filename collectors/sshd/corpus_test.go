package sshd

import (
	//lint:ignore SA1019 DSA host keys are what some checks look for
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/tools/txtar"
)

// The corpus (testdata/corpus/*.txtar) is what the collector is checked
// against sshd -T with: each case is a tree of files and, optionally, its own
// connection specs ("specs") and oracle options ("oracle"). A file whose
// content is "!key TYPE [BITS]" is a host key generated when the tree is
// written (its .pub beside it), so that no private key is committed.

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

// oracleHostKey is the host key sshd -T is given with -h, so that a case
// without keys of its own still starts. The collector sees it as a
// command-line HostKey at the same path inside the case's tree.
const oracleHostKey = "/run/assay-sshd-oracle/ssh_host_ed25519_key"

// corpusCase is one testdata/corpus/*.txtar case.
type corpusCase struct {
	name  string
	files map[string]string
	// specs are the connection specs besides the run without -C.
	specs []string
	// ownKeys: sshd runs without -h and must load the case's own HostKey
	// files (oracle option "own-host-keys").
	ownKeys bool
}

// allSpecs is "" (no -C) followed by the case's specs.
func (c corpusCase) allSpecs() []string { return append([]string{""}, c.specs...) }

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/corpus/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var out []corpusCase
	for _, path := range paths {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), files: map[string]string{}, specs: defaultSpecs}
		for _, f := range ar.Files {
			switch f.Name {
			case "specs":
				c.specs = nonEmptyLines(string(f.Data))
				continue
			case "oracle":
				for _, o := range nonEmptyLines(string(f.Data)) {
					switch o {
					case "own-host-keys":
						c.ownKeys = true
					default:
						t.Fatalf("%s: unknown oracle option %q", path, o)
					}
				}
				continue
			}
			data := string(f.Data)
			name := f.Name
			if strings.HasSuffix(name, ".crlf") {
				name = strings.TrimSuffix(name, ".crlf")
				data = strings.ReplaceAll(data, "\n", "\r\n")
			}
			c.files[name] = data
		}
		out = append(out, c)
	}
	return out
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// writeTree lays a case's files out under a fresh root, with the accounts
// of testPasswd and testGroup, an empty sshd_config unless the case has
// one, and the oracle's host key.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup, strings.TrimPrefix(oracleHostKey, "/"): "!key ed25519"}
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
		if spec, ok := strings.CutPrefix(data, "!key "); ok {
			writeHostKey(t, p, strings.TrimSpace(spec))
			continue
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// writeHostKey writes a new private key of spec ("ed25519", "rsa 3072",
// "ecdsa 256", "dsa") at p and its public key at p.pub.
func writeHostKey(t testing.TB, p, spec string) {
	t.Helper()
	priv, pub, err := newHostKey(spec)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if err := os.WriteFile(p, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".pub", pub, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newHostKey returns a private key file (OpenSSH format; PEM for DSA, which
// x/crypto/ssh cannot write) and its authorized_keys line.
func newHostKey(spec string) (priv, pub []byte, err error) {
	kind, bitsStr, _ := strings.Cut(spec, " ")
	bits := 0
	if bitsStr != "" {
		if bits, err = strconv.Atoi(bitsStr); err != nil {
			return nil, nil, err
		}
	}
	var key any
	switch kind {
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		if bits == 0 {
			bits = 3072
		}
		key, err = rsa.GenerateKey(rand.Reader, bits)
	case "ecdsa":
		curve := map[int]elliptic.Curve{0: elliptic.P256(), 256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}[bits]
		if curve == nil {
			return nil, nil, fmt.Errorf("ecdsa bits %d", bits)
		}
		key, err = ecdsa.GenerateKey(curve, rand.Reader)
	case "dsa":
		return newDSAKey()
	default:
		return nil, nil, fmt.Errorf("unknown key type %q", kind)
	}
	if err != nil {
		return nil, nil, err
	}
	blk, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(blk), ssh.MarshalAuthorizedKey(signer.PublicKey()), nil
}

func newDSAKey() (priv, pub []byte, err error) {
	var k dsa.PrivateKey
	if err := dsa.GenerateParameters(&k.Parameters, rand.Reader, dsa.L1024N160); err != nil {
		return nil, nil, err
	}
	if err := dsa.GenerateKey(&k, rand.Reader); err != nil {
		return nil, nil, err
	}
	der, err := asn1.Marshal(struct {
		Version       int
		P, Q, G, Y, X *big.Int
	}{0, k.P, k.Q, k.G, k.Y, k.X})
	if err != nil {
		return nil, nil, err
	}
	pk, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "DSA PRIVATE KEY", Bytes: der}), ssh.MarshalAuthorizedKey(pk), nil
}
