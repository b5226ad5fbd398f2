package sshd

import (
	//lint:ignore SA1019 sshd still loads DSA host keys before 9.8
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/assay-dev/assay/core/target"
)

// maxKeyFile bounds a host key or certificate file read (sshd's own
// keys are a few KiB).
const maxKeyFile = 1 << 20

// hostKey is one HostKey as sshd would load it from the target.
type hostKey struct {
	Path string `json:"path"`
	// Type is the key type ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256",
	// "ssh-dss"); Bits its size.
	Type string `json:"type,omitempty"`
	Bits int    `json:"bits,omitempty"`
	// Public says whether the public key file (PATH.pub) exists.
	Public bool `json:"public"`
	// Loaded: sshd would use the key.
	Loaded bool   `json:"loaded"`
	Error  string `json:"error,omitempty"`
	src    Source
	perm   fs.FileMode // the private key file's permissions, for "bad permissions"
}

// loadHostKeys is what sshd's main() does with the HostKey files after the
// first pass: load each (the private key, then its .pub), complain about
// the ones named in the configuration that cannot be loaded, and exit when
// none can ("no hostkeys available"), which the collector reports as fatal
// at every HostKey line. It also reports HostCertificate files that cannot
// be loaded, as sshd does.
func (c *config) loadHostKeys(o *options) []hostKey {
	files := o.listOf("hostkey")
	var srcs []Source
	userProvided := true
	if s, ok := o.v["hostkey"]; ok {
		for range files {
			srcs = append(srcs, s.src)
		}
		if len(s.srcs) == len(files) {
			srcs = s.srcs
		}
	} else {
		files = c.prof.def["hostkey"]
		userProvided = false
		for range files {
			srcs = append(srcs, Source{Path: c.main})
		}
	}
	agent := false
	if v, ok := o.get("hostkeyagent"); ok && !equalFold(v, "none") {
		// sshd would ask the agent for keys it cannot read; the collector
		// cannot reach it and takes the public keys as usable.
		agent = true
	}
	var keys []hostKey
	loaded := false
	for i, f := range files {
		if equalFold(f, "none") {
			continue
		}
		k := c.loadHostKey(o, f, agent)
		k.src = srcs[i]
		if k.Error == "bad permissions" {
			for _, l := range []string{
				"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
				"@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @",
				fmt.Sprintf("Permissions 0%3.3o for '%s' are too open.", k.perm, f),
				"It is required that your private key files are NOT accessible by others.",
				"This private key will be ignored.",
			} {
				c.addError(bareError(k.src, false, l))
			}
		}
		if k.Error == "Invalid key length" {
			// 9.1's RequiredRSASize check of host keys
			c.addError(bareError(k.src, false, fmt.Sprintf("main: Host key %s: Invalid key length", f)))
		} else if !k.Loaded && userProvided {
			if k.Error != "" {
				c.addError(bareError(k.src, false, fmt.Sprintf("Unable to load host key \"%s\": %s", f, k.Error)))
			}
			c.addError(bareError(k.src, false, "Unable to load host key: "+f))
		}
		if k.Loaded {
			loaded = true
		}
		keys = append(keys, k)
	}
	if !loaded {
		msg := "sshd: no hostkeys available -- exiting."
		if !userProvided || len(keys) == 0 {
			c.addError(ConfigError{Path: c.main, Message: fmt.Sprintf("no host key can be loaded: none of sshd's default host keys (%s) is on the target; sshd exits with \"no hostkeys available\"", strings.Join(files, ", ")), Fatal: true, Text: msg})
		} else {
			for _, k := range keys {
				c.addError(ConfigError{Path: k.src.Path, Line: k.src.Line, Message: fmt.Sprintf("host key %s cannot be loaded, nor can any other: sshd exits with \"no hostkeys available\"", k.Path), Fatal: true, Text: msg})
			}
		}
	}
	for _, f := range o.listOf("hostcertificate") {
		if equalFold(f, "none") {
			continue
		}
		s := o.v["hostcertificate"].src
		data, err := readTargetFile(c.fsys, f)
		if err != nil {
			c.addError(bareError(s, false, fmt.Sprintf("Could not load host certificate \"%s\": %s", f, errnoText(err))))
			continue
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			c.addError(bareError(s, false, fmt.Sprintf("Could not load host certificate \"%s\": invalid format", f)))
			continue
		}
		if _, ok := pub.(*ssh.Certificate); !ok {
			c.addError(bareError(s, false, "Certificate file is not a certificate: "+f))
		}
	}
	return keys
}

// loadHostKey reads one host key of the target.
func (c *config) loadHostKey(o *options, path string, agent bool) hostKey {
	k := hostKey{Path: path}
	if pubData, err := readTargetFile(c.fsys, path+".pub"); err == nil {
		if pub, _, _, _, err := ssh.ParseAuthorizedKey(pubData); err == nil {
			k.Public = true
			k.Type, k.Bits = describeKey(pub)
		}
	}
	data, err := readTargetFile(c.fsys, path)
	if err != nil {
		if agent && k.Public {
			k.Loaded = true
		}
		return k
	}
	if st, err := fs.Stat(c.fsys, target.Rel(path)); err == nil && st.Mode().Perm()&0o077 != 0 {
		// sshd refuses a private key others can read (it checks the
		// owner too: the collector takes every file as root's).
		k.Error, k.perm = "bad permissions", st.Mode().Perm()
		return k
	}
	raw, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		var pme *ssh.PassphraseMissingError
		if errors.As(err, &pme) {
			k.Error = "incorrect passphrase supplied to decrypt private key"
		} else {
			k.Error = "invalid format"
		}
		if agent && k.Public {
			k.Loaded, k.Error = true, ""
		}
		return k
	}
	signer, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		k.Error = "invalid format"
		return k
	}
	k.Type, k.Bits = describeKey(signer.PublicKey())
	switch key := raw.(type) {
	case *dsa.PrivateKey:
		if !slices.Contains(c.prof.all["key"], "ssh-dss") {
			// a build without DSA (9.8) cannot parse the key at all
			k.Error = "invalid format"
			return k
		}
	case *rsa.PrivateKey:
		min := 1024
		if c.v >= v91 {
			if n, err := strconv.Atoi(c.value(o, "requiredrsasize")); err == nil {
				min = n
			}
		}
		if key.N.BitLen() < min {
			k.Error = "Invalid key length"
			return k
		}
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *ed25519.PrivateKey:
	}
	k.Loaded = true
	return k
}

// describeKey is a public key's type and size in bits.
func describeKey(pub ssh.PublicKey) (string, int) {
	t := pub.Type()
	cp, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return t, 0
	}
	switch k := cp.CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return t, k.N.BitLen()
	case *ecdsa.PublicKey:
		return t, k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return t, 256
	case *dsa.PublicKey:
		return t, k.P.BitLen()
	}
	return t, 0
}

// readTargetFile reads a file of the target by its absolute path, bounded.
func readTargetFile(fsys fs.FS, path string) ([]byte, error) {
	return readPrefix(fsys, target.Rel(path), maxKeyFile)
}

// errnoText is the strerror(3) text sshd prints for a failed open.
func errnoText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	}
	return err.Error()
}
