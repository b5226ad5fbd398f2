package ssh

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/user"
	"strconv"
	"strings"
)

// Scheme is the URL scheme of SSH targets.
const Scheme = "ssh"

// DefaultPort is the port of a target that names none.
const DefaultPort = 22

// Address is where an SSH target is: ssh://[user@]host[:port].
type Address struct {
	User string
	Host string
	Port int
}

// IsURL reports whether s is written as an SSH target URL.
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme+"://") }

// ParseURL parses ssh://[user@]host[:port]. A missing user is the user
// running assay, as for ssh(1); a missing port is 22. A path, a query, a
// password or anything else is refused: they have no meaning here.
func ParseURL(s string) (Address, error) {
	if !IsURL(s) {
		return Address{}, fmt.Errorf("%q: want ssh://[user@]host[:port]", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return Address{}, fmt.Errorf("%q: %w (want ssh://[user@]host[:port])", s, errors.Unwrap(err))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Address{}, fmt.Errorf("%q: an SSH target is a host, ssh://[user@]host[:port]; a path, query or fragment has no meaning (the whole remote filesystem is the target)", s)
	}
	a := Address{Host: u.Hostname(), Port: DefaultPort}
	if a.Host == "" {
		return Address{}, fmt.Errorf("%q: no host (want ssh://[user@]host[:port])", s)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return Address{}, fmt.Errorf("%q: a password in the URL is refused: use a key (--identity or ssh-agent)", s)
		}
		a.User = u.User.Username()
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Address{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, p)
		}
		a.Port = n
	}
	if a.User == "" {
		a.User = currentUser()
	}
	return a, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}

// HostPort is host:port as dialled and as known_hosts files are searched.
func (a Address) HostPort() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// String is the canonical URL, with the user and port filled in: the
// target's name in reports.
func (a Address) String() string {
	return Scheme + "://" + url.User(a.User).String() + "@" + a.HostPort()
}
