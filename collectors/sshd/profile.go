package sshd

import (
	"strings"
)

// profile is what depends on the OpenSSH build: the algorithms it knows,
// its default lists and the defaults of every option sshd -T prints.
type profile struct {
	// Name identifies the table: "debian-9.2p1".
	Name string
	all  map[string][]string // "ciphers", "macs", "kex", "key" (key-sig), "sig"
	def  map[string][]string // default lists, by printed keyword
	gss  []string            // valid GSSAPI key exchange names
	// defaults for printed keywords not computed otherwise.
	defaults map[string]string
	// shortnames are key type names sshd also accepts (case-insensitive).
	shortnames []string
}

func split(s string) []string { return strings.Split(s, ",") }

// debian92 is OpenSSH 9.2p1 as Debian 12 (bookworm) builds it, checked
// against `sshd -T` of openssh-server 1:9.2p1-2+deb12u10.
var debian92 = &profile{
	Name: "debian-9.2p1",
	all: map[string][]string{
		"ciphers":       split("3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com"),
		"macs":          split("hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com"),
		"kexalgorithms": split("diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com"),
		"key":           split("ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com"),
		"sig":           split("ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,rsa-sha2-256,rsa-sha2-512"),
	},
	def: map[string][]string{
		"ciphers":                     split("chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"),
		"macs":                        split("umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"),
		"kexalgorithms":               split("sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"),
		"key":                         split("ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"),
		"casignaturealgorithms":       split("ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"),
		"gssapikexalgorithms":         split("gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-"),
		"hostkey":                     {"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"},
		"authorizedkeysfile":          {".ssh/authorized_keys", ".ssh/authorized_keys2"},
		"hostkeyalgorithms":           nil,
		"pubkeyacceptedalgorithms":    nil,
		"hostbasedacceptedalgorithms": nil,
	},
	gss: split("gss-gex-sha1-,gss-group1-sha1-,gss-group14-sha1-,gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-"),
	defaults: map[string]string{
		"addressfamily": "any", "usepam": "no", "logingracetime": "120", "x11displayoffset": "10",
		"maxauthtries": "6", "maxsessions": "10", "clientaliveinterval": "0", "clientalivecountmax": "3",
		"requiredrsasize": "1024", "streamlocalbindmask": "0177", "unusedconnectiontimeout": "0",
		"permitrootlogin": "without-password", "ignorerhosts": "yes", "ignoreuserknownhosts": "no",
		"hostbasedauthentication": "no", "hostbasedusesnamefrompacketonly": "no", "pubkeyauthentication": "yes",
		"kerberosauthentication": "no", "kerberosorlocalpasswd": "yes", "kerberosticketcleanup": "yes",
		"gssapiauthentication": "no", "gssapicleanupcredentials": "yes", "gssapikeyexchange": "no",
		"gssapistrictacceptorcheck": "yes", "gssapistorecredentialsonrekey": "no",
		"passwordauthentication": "yes", "kbdinteractiveauthentication": "yes", "printmotd": "yes",
		"printlastlog": "yes", "x11forwarding": "no", "x11uselocalhost": "yes", "permittty": "yes",
		"permituserrc": "yes", "strictmodes": "yes", "tcpkeepalive": "yes", "permitemptypasswords": "no",
		"compression": "yes", "gatewayports": "no", "usedns": "no", "allowtcpforwarding": "yes",
		"allowagentforwarding": "yes", "disableforwarding": "no", "allowstreamlocalforwarding": "yes",
		"streamlocalbindunlink": "no", "fingerprinthash": "SHA256", "exposeauthinfo": "no",
		"pidfile": "/run/sshd.pid", "modulifile": "/etc/ssh/moduli", "xauthlocation": "/usr/bin/xauth",
		"securitykeyprovider": "internal", "loglevel": "INFO", "syslogfacility": "AUTH",
		"maxstartups.begin": "10", "maxstartups.rate": "30", "maxstartups.max": "100",
		"persourcemaxstartups": "none", "persourcenetblocksize": "32:128", "permittunnel": "no",
		"ipqos": "lowdelay throughput", "rekeylimit.limit": "0", "rekeylimit.interval": "0",
		"permituserenvironment": "no", "pubkeyauthoptions": "0",
	},
	shortnames: []string{"ED25519", "ED25519-SK", "ECDSA", "ECDSA-SK", "DSA", "RSA"},
}

// profiles are the builds this package knows, newest first.
var profiles = []*profile{debian92}

// everyName checks each comma-separated name with ok; an empty list is
// invalid, and sshd's own loops stop at the first empty name (stopAtEmpty).
func everyName(names string, stopAtEmpty bool, ok func(string) bool) bool {
	if names == "" {
		return false
	}
	for _, n := range strings.Split(names, ",") {
		if n == "" && stopAtEmpty {
			break
		}
		if !ok(n) {
			return false
		}
	}
	return true
}

// namesValid is ciphers_valid(), mac_valid() and kex_names_valid(): every
// name (up to the first empty one) is a known algorithm.
func (p *profile) namesValid(kind, names string) bool {
	return everyName(names, true, func(n string) bool { return contains(p.all[kind], n) })
}

// keyNamesValid is sshkey_names_valid2(names, 1): known key types, short
// names, or patterns matching (positively or not) some key type.
func (p *profile) keyNamesValid(names string) bool {
	return everyName(names, true, func(n string) bool {
		if contains(p.all["key"], n) {
			return true
		}
		for _, s := range p.shortnames {
			if equalFold(s, n) {
				return true
			}
		}
		for _, k := range p.all["key"] {
			if matchPatternList(k, n, false) != 0 {
				return true
			}
		}
		return false
	})
}

// gssNamesValid checks Debian's GSSAPIKexAlgorithms names.
func (p *profile) gssNamesValid(names string) bool {
	return everyName(names, false, func(n string) bool { return contains(p.gss, n) })
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// namesCat is kex_names_cat(): a, then the names of b not already there.
func namesCat(a, b []string) []string {
	if len(a) == 0 {
		return append([]string(nil), b...)
	}
	out := append([]string(nil), a...)
	for _, n := range b {
		if n == "" {
			break
		}
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// filterAllow is match_filter_allowlist(): the names of list matching the
// pattern list, in list's order.
func filterAllow(list []string, patterns string) []string {
	var out []string
	for _, n := range list {
		if matchPatternList(n, patterns, false) == 1 {
			out = append(out, n)
		}
	}
	return out
}

// assemble is kex_assemble_names(): expand a configured list ("+x" appends
// to the defaults, "-x" removes patterns from them, "^x" puts x first,
// anything else replaces) against the defaults and what the build supports.
// ok is false when nothing is left or a negated name is used.
func assemble(conf string, def, all []string) ([]string, bool) {
	if conf == "" {
		return def, true
	}
	var list []string
	switch conf[0] {
	case '+':
		list = namesCat(def, strings.Split(conf[1:], ","))
	case '-':
		var out []string
		for _, n := range def {
			if matchPatternList(n, conf[1:], false) != 1 {
				out = append(out, n)
			}
		}
		return out, true
	case '^':
		list = namesCat(strings.Split(conf[1:], ","), def)
	default:
		list = strings.Split(conf, ",")
	}
	var ret []string
	for _, cp := range list {
		if strings.HasPrefix(cp, "!") {
			return nil, false
		}
		ret = namesCat(ret, filterAllow(all, cp))
	}
	if len(ret) == 0 {
		return nil, false
	}
	return ret, true
}
