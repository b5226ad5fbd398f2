package ssh

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"
)

// maxKeyFile bounds an identity or certificate file: a private key is a few
// KiB.
const maxKeyFile = 1 << 20

// identity is a private key from a file, and its certificate when one
// lies beside it (FILE-cert.pub, as ssh(1) finds it).
type identity struct {
	file    string
	signers []ssh.Signer // the certificate's first, then the plain key
}

func loadIdentity(file string) (*identity, error) {
	data, err := readSmall(file)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	key, err := ssh.ParsePrivateKey(data)
	var pm *ssh.PassphraseMissingError
	if errors.As(err, &pm) {
		return nil, fmt.Errorf("--identity %s: the key is encrypted and assay asks for no passphrase: load it into ssh-agent (ssh-add %s) instead", file, file)
	}
	if err != nil {
		return nil, fmt.Errorf("--identity %s: %w", file, err)
	}
	id := &identity{file: file, signers: []ssh.Signer{key}}
	certFile := strings.TrimSuffix(file, ".pub") + "-cert.pub"
	if data, err := readSmall(certFile); err == nil {
		pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", certFile, err)
		}
		cert, ok := pub.(*ssh.Certificate)
		if !ok {
			return nil, fmt.Errorf("certificate %s: holds a plain public key, not an OpenSSH certificate", certFile)
		}
		cs, err := ssh.NewCertSigner(cert, key)
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", certFile, err)
		}
		id.signers = []ssh.Signer{cs, key}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	return id, nil
}

func readSmall(file string) ([]byte, error) {
	return readBounded(file, maxKeyFile, "not a key")
}

// readBounded reads a regular file of at most limit bytes
// (safefile.ReadLimited): a FIFO given for a key or known_hosts file is
// refused instead of waiting for a writer. Errors name the file.
func readBounded(file string, limit int64, what string) ([]byte, error) {
	data, err := safefile.ReadLimited(file, limit, safefile.RegularOnly)
	switch {
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, fmt.Errorf("%s: larger than %s: %s", file, hclguard.Size(limit), what)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return data, nil
}

// agentKeys returns the keys (and certificates) of the ssh-agent at socket,
// and a function that closes the connection to it. The agent is only asked
// to sign this connection's authentication; it is never forwarded.
func agentKeys(socket string, timeout time.Duration) ([]ssh.Signer, func(), error) {
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return nil, func() {}, fmt.Errorf("ssh-agent at %s (SSH_AUTH_SOCK): %w", socket, err)
	}
	// An agent that stops answering must not hold the login past the
	// connect timeout: listing the keys and signing share this deadline.
	_ = conn.SetDeadline(time.Now().Add(timeout))
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, func() {}, fmt.Errorf("ssh-agent at %s: list keys: %w", socket, err)
	}
	return signers, func() { conn.Close() }, nil
}
