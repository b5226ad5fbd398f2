package sshd

import (
	"slices"
	"strings"
)

// buildOptions are the configure options that change what sshd -T accepts
// and prints.
type buildOptions struct {
	pam    bool // --with-pam: UsePAM, PAMServiceName
	gssapi bool // --with-kerberos5 builds GSSAPI too: GSSAPI* keywords
	krb5   bool // --with-kerberos5: Kerberos* keywords
}

var (
	// buildFull is how Debian, Ubuntu and RHEL build sshd.
	buildFull = buildOptions{pam: true, gssapi: true, krb5: true}
	// buildMinimal is Alpine's openssh-server: no PAM, no Kerberos.
	buildMinimal = buildOptions{}
)

func (b buildOptions) String() string {
	var parts []string
	if b.pam {
		parts = append(parts, "pam")
	}
	if b.gssapi {
		parts = append(parts, "gssapi")
	}
	if b.krb5 {
		parts = append(parts, "kerberos")
	}
	if len(parts) == 0 {
		return "minimal"
	}
	return strings.Join(parts, "+")
}

// distro is whose patches and paths a build carries.
type distro string

const (
	distroUpstream distro = "upstream" // OpenSSH portable as released
	distroDebian   distro = "debian"   // Debian and Ubuntu
	distroRedHat   distro = "redhat"   // RHEL and its rebuilds, Fedora
	distroAlpine   distro = "alpine"
)

// profile is what depends on the OpenSSH build: its release, the keywords
// it takes, the algorithms it knows, its default lists and the defaults of
// every option sshd -T prints.
type profile struct {
	// Name identifies the table: "debian-9.2p1", "upstream-10.5p1".
	Name    string
	Release string
	v       int // release number, 902
	build   buildOptions
	distro  distro
	tables  *tables

	keywords map[string]keyword
	// printed are the keywords sshd -T prints whatever the configuration;
	// names how it spells them.
	printed map[string]bool
	names   map[string]string
	all     map[string][]string // "ciphers", "macs", "kexalgorithms", "key", "sig"
	def     map[string][]string // default lists, by printed keyword
	gss     []string            // valid GSSAPI key exchange names (Debian, RHEL)
	// defaults for printed keywords (and parts of them: "maxstartups.rate")
	// not computed otherwise.
	defaults map[string]string
	// shortnames are key type names sshd also accepts (case-insensitive).
	shortnames []string
	// logLevels are LogLevel's words in the order of sshd's table (the
	// first of a level is the one printed).
	logLevels []string
	// rootLogin is PermitRootLogin's table (its first word of a value is
	// printed).
	rootLogin multistate
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// newProfile builds the profile of OpenSSH release (one of releaseNames)
// built with b and patched by d.
func newProfile(release string, b buildOptions, d distro) (*profile, error) {
	t, err := releaseTables(release)
	if err != nil {
		return nil, err
	}
	v, _ := releaseNumber(release)
	p := &profile{
		Name: string(d) + "-" + release, Release: release, v: v, build: b, distro: d, tables: t,
		keywords: map[string]keyword{}, printed: map[string]bool{}, names: map[string]string{},
		defaults: map[string]string{},
		all: map[string][]string{
			"ciphers": t.algos["cipher"], "macs": t.algos["mac"], "kexalgorithms": t.algos["kex"],
			"key": t.algos["key"], "sig": t.algos["sig"],
		},
		def: map[string][]string{},
	}
	for name, pr := range t.keywords {
		if pr.status == "unknown" {
			continue
		}
		flags := cfgAll
		if pr.global {
			flags = cfgGlobal
		}
		op := name
		switch pr.status {
		case "deprecated":
			op = opDeprecated
		case "unsupported":
			op = opUnsupported
		default:
			op = canonicalOp(name, v)
		}
		p.keywords[name] = keyword{op: op, flags: flags}
	}
	for k, vals := range t.defaults {
		p.printed[k] = true
		p.names[k] = t.names[k]
		if len(vals) == 1 {
			p.defaults[k] = vals[0]
		}
	}
	p.loadDefaults()
	p.withBuild(b)
	p.logLevels = []string{"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"}
	p.rootLogin = msRootLogin
	if v >= v105 {
		p.rootLogin = msRootLogin105
	}
	p.shortnames = shortnamesOf(p.all["key"])
	if err := p.withDistro(d); err != nil {
		return nil, err
	}
	return p, nil
}

// loadDefaults turns the printed defaults into the parts the evaluation
// works with.
func (p *profile) loadDefaults() {
	d := p.tables.defaults
	one := func(k string) string {
		if len(d[k]) == 0 {
			return ""
		}
		return d[k][0]
	}
	p.def["ciphers"] = split(one("ciphers"))
	p.def["macs"] = split(one("macs"))
	p.def["kexalgorithms"] = split(one("kexalgorithms"))
	p.def["casignaturealgorithms"] = split(one("casignaturealgorithms"))
	p.def["key"] = split(one("hostkeyalgorithms"))
	p.def["hostkey"] = p.tables.hostKeys
	p.def["authorizedkeysfile"] = strings.Fields(one("authorizedkeysfile"))
	if begin, rest, ok := strings.Cut(one("maxstartups"), ":"); ok {
		rate, max, _ := strings.Cut(rest, ":")
		p.defaults["maxstartups.begin"], p.defaults["maxstartups.rate"], p.defaults["maxstartups.max"] = begin, rate, max
	}
	limit, interval, _ := strings.Cut(one("rekeylimit"), " ")
	p.defaults["rekeylimit.limit"], p.defaults["rekeylimit.interval"] = limit, interval
	p.defaults["pubkeyauthoptions"] = "0"
	if p.v < v87 {
		// sshd -T prints keyboard-interactive on because
		// ChallengeResponseAuthentication (on by default) turns it on
		// after parsing; its own default is off.
		p.defaults["kbdinteractiveauthentication"] = "no"
	}
	if p.defaults["unusedconnectiontimeout"] == "none" {
		p.defaults["unusedconnectiontimeout"] = "0"
	}
	if pen := one("persourcepenalties"); pen != "" {
		p.defaults["persourcepenalties.enabled"] = "1"
		if pen == "no" {
			p.defaults["persourcepenalties.enabled"] = "0"
		}
		for _, f := range strings.Fields(pen) {
			if k, v, ok := strings.Cut(f, ":"); ok {
				p.defaults["persourcepenalties."+k] = v
			}
		}
	}
}

// withBuild drops what a build without PAM, GSSAPI or Kerberos does not
// have: sshd takes those keywords as "Unsupported option" and does not
// print them.
func (p *profile) withBuild(b buildOptions) {
	drop := func(names ...string) {
		for _, n := range names {
			if k, ok := p.keywords[n]; ok {
				p.keywords[n] = keyword{op: opUnsupported, flags: k.flags}
			}
			delete(p.printed, n)
		}
	}
	if !b.pam {
		drop("usepam", "pamservicename")
	}
	if !b.gssapi {
		drop("gssapiauthentication", "gssapicleanupcredentials", "gssapistrictacceptorcheck", "gssapidelegatecredentials")
	}
	if !b.krb5 {
		drop("kerberosauthentication", "kerberosorlocalpasswd", "kerberosticketcleanup", "kerberosgetafstoken")
	}
}

// shortnamesOf are the short key type names ("RSA", "ED25519") of the key
// types a build supports.
func shortnamesOf(keys []string) []string {
	families := []struct{ short, name string }{
		{"ED25519", "ssh-ed25519"}, {"ED25519-SK", "sk-ssh-ed25519@openssh.com"},
		{"ECDSA", "ecdsa-sha2-nistp256"}, {"ECDSA-SK", "sk-ecdsa-sha2-nistp256@openssh.com"},
		{"DSA", "ssh-dss"}, {"RSA", "ssh-rsa"}, {"XMSS", "ssh-xmss@openssh.com"},
		{"MLDSA44-ED25519", "ssh-mldsa44-ed25519@openssh.com"},
	}
	var out []string
	for _, f := range families {
		if slices.Contains(keys, f.name) {
			out = append(out, f.short)
		}
	}
	return out
}

// canonicalOp is the option a keyword sets in release v: the keyword
// itself, or the one it is an alias of.
func canonicalOp(name string, v int) string {
	switch name {
	case "hostdsakey":
		return "hostkey"
	case "dsaauthentication":
		return "pubkeyauthentication"
	case "keepalive":
		return "tcpkeepalive"
	case "gssapicleanupcreds":
		return "gssapicleanupcredentials"
	case "protocol":
		return opIgnore
	case "match":
		return opMatch
	case "include":
		return opInclude
	case "debianbanner":
		return opDebian
	case "pubkeyacceptedkeytypes":
		if v >= v85 {
			return "pubkeyacceptedalgorithms"
		}
	case "hostbasedacceptedkeytypes":
		if v >= v85 {
			return "hostbasedacceptedalgorithms"
		}
	case "challengeresponseauthentication", "skeyauthentication":
		if v >= v87 {
			return "kbdinteractiveauthentication"
		}
	}
	return name
}

// supports reports whether the release knows keyword k at all.
func (p *profile) supports(k string) bool {
	_, ok := p.keywords[k]
	return ok
}

func (p *profile) String() string { return p.Name }

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
// name (up to the first empty one) is a known algorithm. bad is the first
// unknown one.
func (p *profile) namesValid(kind, names string) (ok bool, bad string) {
	ok = everyName(names, true, func(n string) bool {
		if slices.Contains(p.all[kind], n) {
			return true
		}
		bad = n
		return false
	})
	return ok, bad
}

// keyNamesValid is sshkey_names_valid2(names, 1): known key types, short
// names, or patterns matching (positively or not) some key type. caOnly
// (CASignatureAlgorithms from 9.6) refuses certificate types.
func (p *profile) keyNamesValid(names string, caOnly bool) bool {
	return everyName(names, true, func(n string) bool {
		if slices.Contains(p.all["key"], n) {
			return !caOnly || !strings.Contains(n, "-cert-v01@")
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
	return everyName(names, false, func(n string) bool { return slices.Contains(p.gss, n) })
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
		if !slices.Contains(out, n) {
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
func assemble(v int, conf string, def, all []string) ([]string, bool) {
	if conf == "" {
		return def, true
	}
	var list []string
	switch {
	case conf[0] == '+':
		list = namesCat(def, strings.Split(conf[1:], ","))
	case conf[0] == '-':
		var out []string
		for _, n := range def {
			if matchPatternList(n, conf[1:], false) != 1 {
				out = append(out, n)
			}
		}
		return out, true
	case conf[0] == '^' && v >= v82:
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
