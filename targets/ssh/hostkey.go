package ssh

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError is a host key assay does not trust: unknown, changed,
// revoked, or a certificate no trusted authority signed. It names the
// key's fingerprint so that the operator can check it out of band.
type HostKeyError struct {
	// Address is host:port as dialled.
	Address string
	// Fingerprint is the SHA256 fingerprint of the key presented (of the
	// certified key, for a certificate); Type is its algorithm.
	Fingerprint, Type string
	// Files are the known_hosts files searched.
	Files []string
	// Known are the keys the files hold for the host when the key
	// presented is not one of them (a changed key).
	Known []knownhosts.KnownKey
	// Revoked is the @revoked line that names the key.
	Revoked *knownhosts.KnownKey
	// Err is the reason a certificate was refused.
	Err error
}

func (e *HostKeyError) Error() string {
	files := strings.Join(e.Files, ", ")
	host, port, _ := net.SplitHostPort(e.Address)
	switch {
	case e.Revoked != nil:
		return fmt.Sprintf("host key %s (%s) of %s is revoked (@revoked at %s:%d): refused", e.Fingerprint, e.Type, e.Address, e.Revoked.Filename, e.Revoked.Line)
	case len(e.Known) > 0:
		var known []string
		for _, k := range e.Known {
			known = append(known, fmt.Sprintf("%s (%s) at %s:%d", ssh.FingerprintSHA256(k.Key), k.Key.Type(), k.Filename, k.Line))
		}
		return fmt.Sprintf("host key of %s CHANGED: it presented %s (%s), but known_hosts holds %s; a man in the middle or a reinstalled host: check the new key out of band, then remove the old line (ssh-keygen -R %s -f FILE) and add the new one",
			e.Address, e.Fingerprint, e.Type, strings.Join(known, ", "), knownhosts.Normalize(e.Address))
	case e.Err != nil:
		return fmt.Sprintf("host certificate of %s (key %s, %s) refused: %v; trust its authority with a @cert-authority line in %s", e.Address, e.Fingerprint, e.Type, e.Err, files)
	default:
		return fmt.Sprintf("host key %s (%s) of %s is not in %s: check the fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), then add the key (ssh-keyscan -p %s %s >> FILE) or point --known-hosts at a file you trust",
			e.Fingerprint, e.Type, e.Address, files, port, host)
	}
}

// hostKeys verifies host keys against known_hosts files.
type hostKeys struct {
	files []string
	check ssh.HostKeyCallback
	// authorities are the keys of @cert-authority lines: knownhosts lists
	// them among the keys "known" for a host when a plain key does not
	// match, which would read as a changed key.
	authorities map[string]bool
}

// maxKnownHostsFile bounds one known_hosts file: a line is a few hundred
// bytes, so this is a hundred thousand hosts and more.
const maxKnownHostsFile = 64 << 20

func loadHostKeys(files []string) (*hostKeys, error) {
	// Each file is checked first (a regular file, within the limit), so
	// that knownhosts, which opens them by name, never waits on a FIFO.
	contents := make([][]byte, len(files))
	for i, f := range files {
		data, err := readBounded(f, maxKnownHostsFile, "not a known_hosts file")
		if err != nil {
			return nil, fmt.Errorf("read known_hosts: %w", err)
		}
		contents[i] = data
	}
	cb, err := knownhosts.New(files...)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	h := &hostKeys{files: files, check: cb, authorities: map[string]bool{}}
	for _, data := range contents {
		for len(data) > 0 {
			marker, _, key, _, rest, err := ssh.ParseKnownHosts(data)
			if err != nil {
				break // knownhosts.New has accepted the file: the rest is comments
			}
			if marker == "cert-authority" {
				h.authorities[string(key.Marshal())] = true
			}
			data = rest
		}
	}
	return h, nil
}

// plainKnown drops the certificate authorities from the keys knownhosts
// reports for a host.
func (h *hostKeys) plainKnown(keys []knownhosts.KnownKey) (plain []knownhosts.KnownKey, authority bool) {
	for _, k := range keys {
		if h.authorities[string(k.Key.Marshal())] {
			authority = true
			continue
		}
		plain = append(plain, k)
	}
	return plain, authority
}

// callback is the ssh.HostKeyCallback: the knownhosts check, its errors
// turned into a *HostKeyError that names the fingerprint.
func (h *hostKeys) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := h.check(hostname, remote, key)
	if err == nil {
		return nil
	}
	shown := key
	if c, ok := key.(*ssh.Certificate); ok {
		shown = c.Key
	}
	he := &HostKeyError{Address: hostname, Fingerprint: ssh.FingerprintSHA256(shown), Type: key.Type(), Files: h.files}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		he.Revoked = &re.Revoked
	case errors.As(err, &ke):
		plain, authority := h.plainKnown(ke.Want)
		he.Known = plain
		if len(plain) == 0 && authority {
			he.Err = errors.New("it presented a plain key, and only a certificate authority is trusted for this host")
		}
	default:
		he.Err = err
	}
	return he
}

// probeKey is a key no known_hosts file holds: checking it lists the keys
// known for a host. Made on first use, not when the program starts: every
// command would pay for a key only SSH targets need.
var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return k
})

// algorithms are the host key algorithms to ask a host for, in order: those
// of the keys known for it first, so that a server with several host keys
// presents the one that can be checked (ssh(1) does the same), then the
// other plain keys, then certificates. A server without a key of a known
// type then shows another, which is refused as a changed key. nil (the
// library's preference, certificates first) when no plain key is known
// for the host, as with only a @cert-authority line.
func (h *hostKeys) algorithms(hostport string) []string {
	var ke *knownhosts.KeyError
	if err := h.check(hostport, &net.TCPAddr{IP: net.IPv4zero}, probeKey()); !errors.As(err, &ke) {
		return nil
	}
	plain, _ := h.plainKnown(ke.Want)
	if len(plain) == 0 {
		return nil
	}
	ke.Want = plain
	var out []string
	seen := map[string]bool{}
	add := func(algos ...string) {
		for _, a := range algos {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	for _, k := range ke.Want {
		if k.Key.Type() == ssh.KeyAlgoRSA {
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
			continue
		}
		add(k.Key.Type())
	}
	var certs []string
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		if strings.Contains(a, "-cert-") {
			certs = append(certs, a)
			continue
		}
		add(a)
	}
	add(certs...)
	return out
}
