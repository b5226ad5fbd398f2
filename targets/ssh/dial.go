package ssh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Default timeouts.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultReadTimeout    = 30 * time.Second
)

// Config says how targets are reached and trusted. Build a Dialer from it
// once per run.
type Config struct {
	// KnownHosts are the known_hosts files host keys are checked against;
	// every one must exist. There is no way to skip the check.
	KnownHosts []string
	// Identities are private key files (OpenSSH, PEM); a certificate
	// FILE-cert.pub beside one is offered with it.
	Identities []string
	// AgentSocket is the ssh-agent to ask for keys ("" = none): assay
	// passes SSH_AUTH_SOCK.
	AgentSocket string
	// ConnectTimeout bounds the TCP connection, the SSH handshake,
	// authentication and the start of SFTP (0: DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// ReadTimeout bounds each SFTP operation (0: DefaultReadTimeout).
	ReadTimeout time.Duration
	// AllowProc lets collectors read what the host's processes keep in
	// /proc (--allow-proc); without it the rules of targets.ProcRefused
	// apply to the path the server resolves.
	AllowProc bool
	Logger    *slog.Logger
}

// Dialer connects to SSH targets with one configuration: known_hosts and
// identity files are read once, when it is made.
type Dialer struct {
	cfg        Config
	hostKeys   *hostKeys
	identities []*identity
}

// NewDialer reads the known_hosts and identity files. Its errors are the
// user's to fix.
func NewDialer(cfg Config) (*Dialer, error) {
	if len(cfg.KnownHosts) == 0 {
		return nil, errors.New("no known_hosts file to check host keys against: give --known-hosts FILE (host keys are always verified)")
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hk, err := loadHostKeys(cfg.KnownHosts)
	if err != nil {
		return nil, err
	}
	d := &Dialer{cfg: cfg, hostKeys: hk}
	for _, f := range cfg.Identities {
		id, err := loadIdentity(f)
		if err != nil {
			return nil, err
		}
		d.identities = append(d.identities, id)
	}
	if len(d.identities) == 0 && cfg.AgentSocket == "" {
		return nil, errors.New("no key to authenticate with: give --identity FILE, or run ssh-agent (SSH_AUTH_SOCK)")
	}
	return d, nil
}

// ConnectError is a target that could not be reached, verified or logged
// into: the target fails with it, the others go on.
type ConnectError struct {
	Address Address
	Stage   string // "connect", "host key", "authenticate", "start sftp"
	Err     error
}

func (e *ConnectError) Error() string {
	var he *HostKeyError
	if errors.As(e.Err, &he) {
		return fmt.Sprintf("%s: %v", e.Address, he)
	}
	return fmt.Sprintf("%s: %s: %v", e.Address, e.Stage, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Dial connects to the target, verifies its host key, authenticates and
// starts SFTP, all within the connect timeout (or ctx, if it ends first).
func (d *Dialer) Dial(ctx context.Context, addr Address) (*Target, error) {
	deadline := time.Now().Add(d.cfg.ConnectTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	fail := func(stage string, err error) (*Target, error) {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (connect timeout %s)", err, d.cfg.ConnectTimeout)
		}
		return nil, &ConnectError{Address: addr, Stage: stage, Err: err}
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr.HostPort())
	if err != nil {
		return fail("connect", err)
	}
	// The handshake and SFTP's start read the connection: the deadline
	// ends them if the server stops answering, and ctx closes it.
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	signers, closeAgent, agentErr := d.signers()
	defer closeAgent()
	if len(signers) == 0 {
		conn.Close()
		return fail("authenticate", fmt.Errorf("no key to offer: %w", agentErr))
	}
	cc := &ssh.ClientConfig{
		User:              addr.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   d.hostKeys.callback,
		HostKeyAlgorithms: d.hostKeys.algorithms(addr.HostPort()),
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr.HostPort(), cc)
	if err != nil {
		conn.Close()
		var he *HostKeyError
		if errors.As(err, &he) {
			return fail("host key", he)
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return fail("authenticate", fmt.Errorf("the server refused every key offered for user %s (%s)%s", addr.User, d.offered(len(signers)), agentNote(agentErr)))
		}
		return fail("handshake", err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	sf, err := sftp.NewClient(client, sftp.MaxConcurrentRequestsPerFile(16))
	if err != nil {
		client.Close()
		return fail("start sftp", fmt.Errorf("%w (the server must offer the sftp subsystem)", err))
	}
	if !stop() {
		sf.Close()
		client.Close()
		return fail("connect", ctx.Err())
	}
	_ = conn.SetDeadline(time.Time{})
	t := newTarget(addr, client, sf, d.cfg.ReadTimeout, d.cfg.Logger)
	t.allowProc = d.cfg.AllowProc
	return t, nil
}

// signers are the keys offered: the identity files' (certificates first),
// then the agent's.
func (d *Dialer) signers() ([]ssh.Signer, func(), error) {
	var out []ssh.Signer
	for _, id := range d.identities {
		out = append(out, id.signers...)
	}
	if d.cfg.AgentSocket == "" {
		return out, func() {}, nil
	}
	keys, closeAgent, err := agentKeys(d.cfg.AgentSocket, d.cfg.ConnectTimeout)
	return append(out, keys...), closeAgent, err
}

func (d *Dialer) offered(n int) string {
	var from []string
	for _, id := range d.identities {
		from = append(from, id.file)
	}
	if d.cfg.AgentSocket != "" {
		from = append(from, "ssh-agent")
	}
	return fmt.Sprintf("%d key(s) from %s", n, strings.Join(from, ", "))
}

func agentNote(err error) string {
	if err == nil {
		return ""
	}
	return "; " + err.Error()
}
