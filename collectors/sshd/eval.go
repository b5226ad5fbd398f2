package sshd

import (
	"net/netip"
	"strconv"
	"strings"
)

// result is the effective configuration for one connection spec.
type result struct {
	settings map[string]any
	sources  map[string]Source
}

// errMainFile reports an unreadable main file.
type errMainFile struct{ err error }

func (e errMainFile) Error() string { return e.err.Error() }

func (e errMainFile) Unwrap() error { return e.err }

// evaluate runs sshd's two passes for ci (nil: no -C, the blank spec of
// `sshd -T`) and formats the result as sshd -T prints it.
func (c *config) evaluate(ci *ConnInfo) (*result, error) {
	lines, err := c.load(c.main)
	if err != nil {
		return nil, errMainFile{err}
	}
	// First pass: the command line, then the global section, "Match all"
	// blocks and the syntax of the rest.
	o := newOptions()
	p1 := &pass{c: c, o: o, bad: map[string]int{}}
	for _, k := range c.opts.hostKeys {
		o.appendList("hostkey", Source{Path: cmdlineSource}, k)
	}
	active := true
	for _, l := range c.opts.options {
		flags := 0
		if c.v < v87 {
			p1.lineOld(l, Source{Path: cmdlineSource}, &active, &flags, 0)
		} else {
			p1.line(l, Source{Path: cmdlineSource}, &active, &flags, 0)
		}
	}
	p1.parseFile(c.main, lines, 0, &active, 0)
	c.flushListen(o)
	if c.stopped(p1) {
		return c.dump(o), nil
	}
	c.fillDefaults(o)
	if c.stopped(p1) {
		return c.dump(o), nil
	}
	c.checkGlobal(o)
	if c.stopped(p1) {
		return c.dump(o), nil
	}
	c.hostKeys = c.loadHostKeys(o)
	if c.stopped(p1) {
		return c.dump(o), nil
	}

	// Second pass: only matching Match blocks, overlaid on the first.
	if ci == nil {
		ci = &ConnInfo{}
	}
	mo := newOptions()
	p2 := &pass{c: c, o: mo, ci: ci, bad: map[string]int{}}
	active = false
	flags := incMatchOnly
	if c.v < v84 {
		flags = 0
	}
	p2.parseFile(c.main, lines, flags, &active, 0)
	if c.stopped(p2) {
		return c.dump(o), nil
	}
	for _, k := range matchCopied(c.v) {
		if s, ok := mo.v[k]; ok {
			o.v[k] = s
		}
	}
	if c.v >= v96 && len(mo.subsystems) > 0 {
		// 9.6 copies a Match block's Subsystems over all the global ones
		// (its merge then finds nothing left to merge).
		o.subsystems = mo.subsystems
		o.v["subsystem"] = mo.v["subsystem"]
	}
	c.assembleAll(o, p2)
	for _, k := range []string{"forcecommand", "chrootdirectory"} {
		if v, ok := o.get(k); ok && equalFold(v, "none") {
			o.unset(k)
		}
	}
	return c.dump(o), nil
}

// stopped reports whether sshd would have exited by now.
func (c *config) stopped(_ *pass) bool {
	if !c.opts.stopAtFatal {
		return false
	}
	for _, e := range c.errs {
		if e.Fatal {
			return true
		}
	}
	return false
}

// flushListen is process_queued_listen_addrs(): the ports and address
// family default now, and each queued ListenAddress becomes addresses for
// the ports known now (8.2p1 does this at the end of every file).
func (c *config) flushListen(o *options) {
	if len(o.listOf("port")) == 0 {
		o.appendList("port", Source{}, "22")
		o.v["port"].defaulted = true
	}
	if !o.isSet("addressfamily") {
		o.setFirst("addressfamily", c.prof.defaults["addressfamily"], Source{})
		o.v["addressfamily"].defaulted = true
	}
	family, _ := o.get("addressfamily")
	add := func(l listenSpec, port string) {
		f := formatListen(l.addr, port, family)
		if f == nil {
			c.addError(bareError(l.src, true, "bad addr or host: "+l.addr+" (Address family for hostname not supported)"))
		}
		for _, a := range f {
			o.resolved = append(o.resolved, resolvedListen{addr: a, src: l.src})
		}
	}
	for _, l := range o.listen {
		if l.port > 0 {
			add(l, strconv.Itoa(l.port))
			continue
		}
		for _, p := range o.listOf("port") {
			add(l, p)
		}
	}
	o.listen = nil
}

// fillDefaults is what fill_default_server_options does that shows: the
// algorithm lists assembled against the defaults, and "none" clearing.
func (c *config) fillDefaults(o *options) {
	p1 := &pass{c: c, o: o}
	c.assembleAll(o, p1)
	clearOnNone(c.v, o)
}

// algoFields are the algorithm options and sshd's names for them in its
// "assemble_algorithms: FIELD: invalid argument" error.
var algoFields = []struct{ k, field, def, all string }{
	{"ciphers", "ciphers", "ciphers", "ciphers"},
	{"macs", "macs", "macs", "macs"},
	{"kexalgorithms", "kex_algorithms", "kexalgorithms", "kexalgorithms"},
	{"hostkeyalgorithms", "hostkeyalgorithms", "key", "key"},
	{"hostbasedacceptedalgorithms", "hostbased_accepted_algos", "key", "key"},
	{"hostbasedacceptedkeytypes", "hostbased_key_types", "key", "key"},
	{"pubkeyacceptedalgorithms", "pubkey_accepted_algos", "key", "key"},
	{"pubkeyacceptedkeytypes", "pubkey_key_types", "key", "key"},
	{"casignaturealgorithms", "ca_sign_algorithms", "casignaturealgorithms", "sig"},
}

// assembleAll is assemble_algorithms(): every algorithm option expanded
// against the defaults and what the build supports. A list that comes out
// empty (or negates a name) is fatal.
func (c *config) assembleAll(o *options, p *pass) {
	for _, f := range algoFields {
		s, ok := o.v[f.k]
		if !ok {
			continue
		}
		list, ok := assemble(c.v, s.s, c.prof.def[f.def], c.prof.all[f.all])
		if !ok {
			p.report(bareError(s.src, true, "assemble_algorithms: "+f.field+": invalid argument"))
			continue
		}
		o.v[f.k] = &slot{s: strings.Join(list, ","), src: s.src}
	}
}

// checkGlobal is what sshd's main() checks after the first pass.
func (c *config) checkGlobal(o *options) {
	if c.v < v87 {
		// challenge-response is implemented via keyboard-interactive
		if c.value(o, "challengeresponseauthentication") == "yes" {
			if _, set := o.get("kbdinteractiveauthentication"); !set || c.value(o, "kbdinteractiveauthentication") == "no" {
				o.set("kbdinteractiveauthentication", "yes", Source{})
				o.v["kbdinteractiveauthentication"].defaulted = true
			}
		}
	}
	for _, pair := range [][2]string{{"authorizedkeyscommand", "authorizedkeyscommanduser"}, {"authorizedprincipalscommand", "authorizedprincipalscommanduser"}} {
		if v, ok := o.get(pair[0]); ok && !equalFold(v, "none") && !o.isSet(pair[1]) {
			name := map[string]string{"authorizedkeyscommand": "AuthorizedKeysCommand", "authorizedprincipalscommand": "AuthorizedPrincipalsCommand"}[pair[0]]
			c.addError(bareError(o.v[pair[0]].src, true, name+" set without "+name+"User"))
			if c.opts.stopAtFatal {
				return
			}
		}
	}
	if methods := o.listOf("authenticationmethods"); len(methods) > 0 {
		enabled := map[string]bool{"none": true}
		for m, k := range map[string]string{"publickey": "pubkeyauthentication", "password": "passwordauthentication", "keyboard-interactive": "kbdinteractiveauthentication", "hostbased": "hostbasedauthentication", "gssapi-with-mic": "gssapiauthentication"} {
			enabled[m] = c.value(o, k) == "yes"
		}
		ok := false
		for _, m := range methods {
			if authMethodsValid(m, enabled) {
				ok = true
			}
		}
		if !ok {
			c.addError(bareError(o.v["authenticationmethods"].src, true, "AuthenticationMethods cannot be satisfied by enabled authentication methods"))
		}
	}
}

// clearOnNone is fill_default_server_options' CLEAR_ON_NONE: "none" (any
// case) unsets these options after the first pass.
func clearOnNone(v int, o *options) {
	keys := []string{"pidfile", "xauthlocation", "banner", "trustedusercakeys", "revokedkeys", "authorizedprincipalsfile", "forcecommand", "chrootdirectory", "rdomain"}
	if v >= v82 {
		keys = append(keys, "securitykeyprovider", "hostkeyagent")
	}
	if v >= v98 {
		keys = append(keys, "persourcepenaltyexemptlist")
	}
	for _, k := range keys {
		if s, ok := o.v[k]; ok && equalFold(s.s, "none") {
			s.s = "none" // printed as sshd prints a NULL string
		}
	}
	if v >= v92 {
		if l := o.listOf("channeltimeout"); len(l) == 1 && equalFold(l[0], "none") {
			o.unset("channeltimeout")
		}
	}
	if v >= v105 {
		for _, k := range []string{"revokedkeys", "authorizedkeysfile"} {
			if l := o.listOf(k); len(l) == 1 && equalFold(l[0], "none") {
				o.unset(k)
			}
		}
	}
	if l := o.listOf("authenticationmethods"); len(l) == 1 && (l[0] == "any" || v >= v92 && equalFold(l[0], "any")) {
		o.unset("authenticationmethods")
	}
}

// value is an option's effective single value: set, or the default.
func (c *config) value(o *options, k string) string {
	if v, ok := o.get(k); ok {
		return v
	}
	return c.prof.defaults[k]
}

// conditional are keywords sshd -T prints only when they have a value.
var conditional = map[string]bool{
	"hostcertificate": true, "allowusers": true, "denyusers": true, "allowgroups": true,
	"denygroups": true, "acceptenv": true, "setenv": true, "logverbose": true,
	"channeltimeout": true, "subsystem": true, "listenaddress": true, "hostkey": true, "port": true,
	"revokedkeys": true,
}

// dump formats the options as sshd -T prints them (dump_config), keeping
// what this release prints.
func (c *config) dump(o *options) *result {
	r := &result{settings: map[string]any{}, sources: map[string]Source{}}
	src := func(k, slot string) {
		if s, ok := o.v[slot]; ok && !s.defaulted {
			if _, done := r.sources[k]; !done {
				r.sources[k] = s.src
			}
		}
	}
	one := func(k, v string, slots ...string) {
		r.settings[k] = v
		if len(slots) == 0 {
			slots = []string{k}
		}
		for _, s := range slots {
			src(k, s)
		}
	}
	many := func(k string, v []string, slot string) {
		if len(v) == 0 {
			return
		}
		r.settings[k] = v
		src(k, slot)
	}
	val := func(k string) string { return c.value(o, k) }
	strOrNone := func(k string) string {
		if v, ok := o.get(k); ok {
			return v
		}
		if d, ok := c.prof.defaults[k]; ok {
			return d
		}
		return "none"
	}

	many("port", o.listOf("port"), "port")
	one("addressfamily", val("addressfamily"))
	many("listenaddress", c.listenAddrs(o), "listenaddress")
	if len(o.resolved) > 0 {
		r.sources["listenaddress"] = o.resolved[0].src
	}
	for _, k := range []string{"usepam", "pamservicename", "logingracetime", "x11displayoffset", "maxauthtries", "maxsessions", "clientaliveinterval", "clientalivecountmax", "requiredrsasize", "streamlocalbindmask"} {
		one(k, val(k))
	}
	if v := val("unusedconnectiontimeout"); v == "0" {
		one("unusedconnectiontimeout", "none")
	} else {
		one("unusedconnectiontimeout", v)
	}
	for _, k := range []string{"permitrootlogin", "ignorerhosts", "ignoreuserknownhosts", "hostbasedauthentication", "hostbasedusesnamefrompacketonly", "pubkeyauthentication", "kerberosauthentication", "kerberosorlocalpasswd", "kerberosticketcleanup", "kerberosusekuserok", "gssapiauthentication", "gssapicleanupcredentials", "gssapidelegatecredentials", "gssapikeyexchange", "gssapistrictacceptorcheck", "gssapistorecredentialsonrekey", "gssapienablek5users"} {
		one(k, val(k))
	}
	if v, ok := o.get("gssapikexalgorithms"); ok {
		one("gssapikexalgorithms", v)
	} else {
		one("gssapikexalgorithms", strings.Join(c.prof.def["gssapikexalgorithms"], ","))
	}
	for _, k := range []string{"passwordauthentication", "kbdinteractiveauthentication", "challengeresponseauthentication", "printmotd", "printlastlog", "x11forwarding", "x11uselocalhost", "permittty", "permituserrc", "strictmodes", "tcpkeepalive", "permitemptypasswords", "compression", "gatewayports", "usedns", "allowtcpforwarding", "allowagentforwarding", "disableforwarding", "allowstreamlocalforwarding", "streamlocalbindunlink", "fingerprinthash", "exposeauthinfo", "refuseconnection"} {
		one(k, val(k))
	}
	for _, k := range []string{"pidfile", "modulifile", "xauthlocation", "sshdsessionpath", "sshdauthpath"} {
		one(k, strOrNone(k))
	}
	for _, k := range []string{"ciphers", "macs", "kexalgorithms", "casignaturealgorithms", "hostbasedacceptedalgorithms", "hostbasedacceptedkeytypes", "hostkeyalgorithms", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes"} {
		one(k, c.algos(o, k))
	}
	for _, k := range []string{"banner", "forcecommand", "chrootdirectory", "trustedusercakeys", "authorizedprincipalsfile", "securitykeyprovider", "authorizedkeyscommand", "authorizedkeyscommanduser", "authorizedprincipalscommand", "authorizedprincipalscommanduser", "hostkeyagent", "rdomain", "persourcepenaltyexemptlist"} {
		one(k, strOrNone(k))
	}
	if c.v >= v105 {
		// a list from 10.5, printed only when set
		if l := o.listOf("revokedkeys"); len(l) > 0 {
			one("revokedkeys", strings.Join(l, " "))
		}
	} else {
		one("revokedkeys", strOrNone("revokedkeys"))
	}
	va, ok := o.get("versionaddendum")
	if !ok || va == "" {
		va = "none"
	}
	one("versionaddendum", va)
	one("loglevel", val("loglevel"))
	one("syslogfacility", val("syslogfacility"))
	akf := o.listOf("authorizedkeysfile")
	if len(akf) == 0 {
		akf = c.prof.def["authorizedkeysfile"]
	}
	if len(akf) > 0 {
		one("authorizedkeysfile", strings.Join(akf, " "))
	} else if c.v >= v105 {
		one("authorizedkeysfile", "none")
	}
	hk := o.listOf("hostkey")
	if len(hk) == 0 {
		hk = c.prof.def["hostkey"]
	}
	hostkeys := make([]string, len(hk))
	for i, k := range hk {
		hostkeys[i] = k
		if equalFold(k, "none") {
			hostkeys[i] = "(null)"
		}
	}
	many("hostkey", hostkeys, "hostkey")
	for _, k := range []string{"hostcertificate", "allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv", "setenv"} {
		many(k, o.listOf(k), k)
	}
	if am := o.listOf("authenticationmethods"); len(am) > 0 {
		one("authenticationmethods", strings.Join(am, " "))
	} else {
		one("authenticationmethods", "any")
	}
	if lv := o.listOf("logverbose"); len(lv) > 0 {
		one("logverbose", strings.Join(lv, " "))
	}
	if ct := o.listOf("channeltimeout"); len(ct) > 0 {
		one("channeltimeout", strings.Join(ct, " "))
	} else if c.v >= v96 {
		one("channeltimeout", "none")
	}
	many("subsystem", o.listOf("subsystem"), "subsystem")
	one("maxstartups", val("maxstartups.begin")+":"+val("maxstartups.rate")+":"+val("maxstartups.max"), "maxstartups.begin", "maxstartups.rate", "maxstartups.max")
	one("persourcemaxstartups", val("persourcemaxstartups"))
	nb := c.prof.defaults["persourcenetblocksize"]
	v4, v6, _ := strings.Cut(nb, ":")
	if s, ok := o.get("persourcenetblocksize.v4"); ok {
		v4 = s
	}
	if s, ok := o.get("persourcenetblocksize.v6"); ok {
		v6 = s
	}
	one("persourcenetblocksize", v4+":"+v6, "persourcenetblocksize.v4", "persourcenetblocksize.v6")
	one("permittunnel", val("permittunnel"))
	one("ipqos", val("ipqos"))
	one("rekeylimit", val("rekeylimit.limit")+" "+val("rekeylimit.interval"), "rekeylimit.limit", "rekeylimit.interval")
	for _, k := range []string{"permitopen", "permitlisten"} {
		if l := o.listOf(k); len(l) > 0 {
			one(k, strings.Join(l, " "))
		} else {
			one(k, "any")
		}
	}
	if al, ok := o.get("permituserenvironment.allowlist"); ok {
		one("permituserenvironment", al, "permituserenvironment")
	} else {
		one("permituserenvironment", val("permituserenvironment"))
	}
	pk, _ := strconv.Atoi(val("pubkeyauthoptions"))
	pko := ""
	if pk == 0 {
		pko = "none"
	}
	if pk&1 != 0 {
		pko = strings.TrimSpace(pko + " touch-required")
	}
	if pk&2 != 0 {
		pko = strings.TrimSpace(pko + " verify-required")
	}
	one("pubkeyauthoptions", pko)
	one("persourcepenalties", c.penalties(o), "persourcepenalties.enabled")

	for k := range r.settings {
		if !c.prof.printed[k] && !(conditional[k] && c.prof.supports(k)) {
			delete(r.settings, k)
			delete(r.sources, k)
		}
	}
	return r
}

// penalties formats PerSourcePenalties as sshd -T prints it.
func (c *config) penalties(o *options) string {
	val := func(k string) string { return c.value(o, "persourcepenalties."+k) }
	if val("enabled") != "1" {
		return "no"
	}
	keys := []string{"crash", "authfail", "noauth", "grace-exceeded", "refuseconnection", "max", "min", "max-sources4", "max-sources6", "overflow", "overflow6"}
	if c.v >= v105 {
		keys = []string{"crash", "authfail", "noauth", "invaliduser", "grace-exceeded", "refuseconnection", "max", "min", "max-sources4", "max-sources6", "overflow", "overflow6"}
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := val(k)
		if k == "overflow6" && !o.isSet("persourcepenalties.overflow6") {
			v = val("overflow")
		}
		parts[i] = k + ":" + v
	}
	return strings.Join(parts, " ")
}

// algos is an algorithm option as assembled (the defaults when unset).
func (c *config) algos(o *options, k string) string {
	if v, ok := o.get(k); ok {
		return v
	}
	switch k {
	case "ciphers", "macs", "kexalgorithms", "casignaturealgorithms":
		return strings.Join(c.prof.def[k], ",")
	}
	return strings.Join(c.prof.def["key"], ",")
}

// formatListen formats a listen address as sshd -T prints it; nil when
// the address family excludes it.
func formatListen(addr, port, family string) []string {
	if addr == "" {
		switch family {
		case "inet":
			return []string{"0.0.0.0:" + port}
		case "inet6":
			return []string{"[::]:" + port}
		}
		return []string{"[::]:" + port, "0.0.0.0:" + port}
	}
	ip, err := parseAddr(addr)
	if err != nil {
		// A host name: sshd resolves it; we keep the name.
		return []string{addr + ":" + port}
	}
	if ip.Is4() && family == "inet6" || ip.Is6() && !ip.Is4In6() && family == "inet" {
		return nil
	}
	if ip.Is6() {
		return []string{"[" + ip.String() + "]:" + port}
	}
	return []string{netip.AddrPortFrom(ip, 0).Addr().String() + ":" + port}
}

// listenAddrs are the listen addresses as sshd -T prints them: the
// resolved ListenAddresses, or every address for each port.
func (c *config) listenAddrs(o *options) []string {
	var out []string
	if len(o.resolved) == 0 {
		family := c.value(o, "addressfamily")
		for _, p := range o.listOf("port") {
			out = append(out, formatListen("", p, family)...)
		}
		return out
	}
	for _, l := range o.resolved {
		out = append(out, l.addr)
	}
	return out
}
