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
	order    []string
}

// errMainFile reports an unreadable main file.
type errMainFile struct{ err error }

func (e errMainFile) Error() string { return e.err.Error() }

// evaluate runs sshd's two passes for ci (nil: no -C, the blank spec of
// `sshd -T`) and formats the result as sshd -T prints it.
func (c *config) evaluate(ci *ConnInfo) (*result, error) {
	lines, err := c.load(c.main)
	if err != nil {
		return nil, errMainFile{err}
	}
	// First pass: global section, "Match all" blocks, syntax of the rest.
	o := newOptions()
	p1 := &pass{c: c, o: o, bad: map[string]int{}}
	active := true
	p1.parseFile(c.main, lines, 0, &active, 0)
	c.checkGlobal(o)
	clearOnNone(o)

	// Second pass: only matching Match blocks, overlaid on the first.
	if ci == nil {
		ci = &ConnInfo{}
	}
	mo := newOptions()
	p2 := &pass{c: c, o: mo, ci: ci, bad: map[string]int{}}
	active = false
	p2.parseFile(c.main, lines, incMatchOnly, &active, 0)
	for _, k := range matchCopied {
		if s, ok := mo.v[k]; ok {
			o.v[k] = s
		}
	}
	for _, k := range []string{"forcecommand", "chrootdirectory"} {
		if v, ok := o.get(k); ok && equalFold(v, "none") {
			o.unset(k)
		}
	}
	return c.dump(o), nil
}

// checkGlobal is what sshd's main() checks after the first pass.
func (c *config) checkGlobal(o *options) {
	for _, pair := range [][2]string{{"authorizedkeyscommand", "authorizedkeyscommanduser"}, {"authorizedprincipalscommand", "authorizedprincipalscommanduser"}} {
		if v, ok := o.get(pair[0]); ok && !equalFold(v, "none") && !o.isSet(pair[1]) {
			name := map[string]string{"authorizedkeyscommand": "AuthorizedKeysCommand", "authorizedprincipalscommand": "AuthorizedPrincipalsCommand"}[pair[0]]
			c.addError(ConfigError{Path: o.v[pair[0]].src.Path, Line: o.v[pair[0]].src.Line, Message: name + " set without " + name + "User", Fatal: true})
		}
	}
	if methods := o.listOf("authenticationmethods"); len(methods) > 0 && !(len(methods) == 1 && equalFold(methods[0], "any")) {
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
			src := o.v["authenticationmethods"].src
			c.addError(ConfigError{Path: src.Path, Line: src.Line, Message: "AuthenticationMethods cannot be satisfied by enabled authentication methods", Fatal: true})
		}
	}
}

// clearOnNone is fill_default_server_options' CLEAR_ON_NONE: "none" (any
// case) unsets these options after the first pass.
func clearOnNone(o *options) {
	for _, k := range []string{"pidfile", "xauthlocation", "banner", "trustedusercakeys", "revokedkeys", "securitykeyprovider", "authorizedprincipalsfile", "forcecommand", "chrootdirectory", "hostkeyagent"} {
		if v, ok := o.get(k); ok && equalFold(v, "none") {
			o.v[k].s = "none" // printed as sshd prints a NULL string
		}
	}
	if l := o.listOf("channeltimeout"); len(l) == 1 && equalFold(l[0], "none") {
		o.unset("channeltimeout")
	}
	if l := o.listOf("authenticationmethods"); len(l) == 1 && equalFold(l[0], "any") {
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

// dump formats the options as sshd -T prints them (dump_config).
func (c *config) dump(o *options) *result {
	r := &result{settings: map[string]any{}, sources: map[string]Source{}}
	src := func(k, slot string) {
		if s, ok := o.v[slot]; ok {
			if _, done := r.sources[k]; !done {
				r.sources[k] = s.src
			}
		}
	}
	one := func(k, v string, slots ...string) {
		r.settings[k] = v
		r.order = append(r.order, k)
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
		r.order = append(r.order, k)
		src(k, slot)
	}
	val := func(k string) string { return c.value(o, k) }
	strOrNone := func(k string) string {
		if v, ok := o.get(k); ok {
			return v
		}
		return "none"
	}

	ports := o.listOf("port")
	if len(ports) == 0 {
		ports = []string{"22"}
	}
	many("port", ports, "port")
	one("addressfamily", val("addressfamily"))
	many("listenaddress", c.listenAddrs(o, ports, val("addressfamily")), "listenaddress")
	if len(o.listen) > 0 {
		r.sources["listenaddress"] = o.listen[0].src
	}
	one("usepam", val("usepam"))
	for _, k := range []string{"logingracetime", "x11displayoffset", "maxauthtries", "maxsessions", "clientaliveinterval", "clientalivecountmax", "requiredrsasize", "streamlocalbindmask"} {
		one(k, val(k))
	}
	if v := val("unusedconnectiontimeout"); v == "0" {
		one("unusedconnectiontimeout", "none")
	} else {
		one("unusedconnectiontimeout", v)
	}
	for _, k := range []string{"permitrootlogin", "ignorerhosts", "ignoreuserknownhosts", "hostbasedauthentication", "hostbasedusesnamefrompacketonly", "pubkeyauthentication", "kerberosauthentication", "kerberosorlocalpasswd", "kerberosticketcleanup", "gssapiauthentication", "gssapicleanupcredentials", "gssapikeyexchange", "gssapistrictacceptorcheck", "gssapistorecredentialsonrekey"} {
		one(k, val(k))
	}
	if v, ok := o.get("gssapikexalgorithms"); ok {
		one("gssapikexalgorithms", v)
	} else {
		one("gssapikexalgorithms", strings.Join(c.prof.def["gssapikexalgorithms"], ","))
	}
	for _, k := range []string{"passwordauthentication", "kbdinteractiveauthentication", "printmotd", "printlastlog", "x11forwarding", "x11uselocalhost", "permittty", "permituserrc", "strictmodes", "tcpkeepalive", "permitemptypasswords", "compression", "gatewayports", "usedns", "allowtcpforwarding", "allowagentforwarding", "disableforwarding", "allowstreamlocalforwarding", "streamlocalbindunlink", "fingerprinthash", "exposeauthinfo"} {
		one(k, val(k))
	}
	for _, k := range []string{"pidfile", "modulifile", "xauthlocation"} {
		one(k, val(k))
	}
	one("ciphers", c.algos(o, "ciphers", "ciphers", "ciphers"))
	one("macs", c.algos(o, "macs", "macs", "macs"))
	for _, k := range []string{"banner", "forcecommand", "chrootdirectory", "trustedusercakeys", "revokedkeys"} {
		one(k, strOrNone(k))
	}
	one("securitykeyprovider", val("securitykeyprovider"))
	one("authorizedprincipalsfile", strOrNone("authorizedprincipalsfile"))
	va, ok := o.get("versionaddendum")
	if !ok || va == "" {
		va = "none"
	}
	one("versionaddendum", va)
	for _, k := range []string{"authorizedkeyscommand", "authorizedkeyscommanduser", "authorizedprincipalscommand", "authorizedprincipalscommanduser", "hostkeyagent"} {
		one(k, strOrNone(k))
	}
	one("kexalgorithms", c.algos(o, "kexalgorithms", "kexalgorithms", "kexalgorithms"))
	one("casignaturealgorithms", c.algos(o, "casignaturealgorithms", "casignaturealgorithms", "sig"))
	one("hostbasedacceptedalgorithms", c.algos(o, "hostbasedacceptedalgorithms", "key", "key"))
	one("hostkeyalgorithms", c.algos(o, "hostkeyalgorithms", "key", "key"))
	one("pubkeyacceptedalgorithms", c.algos(o, "pubkeyacceptedalgorithms", "key", "key"))
	one("loglevel", val("loglevel"))
	one("syslogfacility", val("syslogfacility"))
	akf := o.listOf("authorizedkeysfile")
	if len(akf) == 0 {
		akf = c.prof.def["authorizedkeysfile"]
	}
	one("authorizedkeysfile", strings.Join(akf, " "))
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
	}
	many("subsystem", o.listOf("subsystem"), "subsystem")
	one("maxstartups", val("maxstartups.begin")+":"+val("maxstartups.rate")+":"+val("maxstartups.max"), "maxstartups.begin", "maxstartups.rate")
	one("persourcemaxstartups", val("persourcemaxstartups"))
	one("persourcenetblocksize", val("persourcenetblocksize"))
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
	return r
}

// algos assembles an algorithm option against its defaults.
func (c *config) algos(o *options, k, defKey, allKey string) string {
	def := c.prof.def[defKey]
	conf, _ := o.get(k)
	list, ok := assemble(conf, def, c.prof.all[allKey])
	if !ok {
		s := o.v[k].src
		c.addError(ConfigError{Path: s.Path, Line: s.Line, Message: "kex_assemble_names failed for " + k, Fatal: true})
		list = def
	}
	return strings.Join(list, ",")
}

// listenAddrs formats the listen addresses as sshd -T does.
func (c *config) listenAddrs(o *options, ports []string, family string) []string {
	format := func(addr string, port string) []string {
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
	var out []string
	if len(o.listen) == 0 {
		for _, p := range ports {
			out = append(out, format("", p)...)
		}
		return out
	}
	for _, l := range o.listen {
		if l.port > 0 {
			f := format(l.addr, strconv.Itoa(l.port))
			if f == nil {
				c.addError(ConfigError{Path: l.src.Path, Line: l.src.Line, Message: "bad addr or host: " + l.addr + " (Address family for hostname not supported)", Fatal: true})
			}
			out = append(out, f...)
			continue
		}
		for _, p := range ports {
			f := format(l.addr, p)
			if f == nil {
				c.addError(ConfigError{Path: l.src.Path, Line: l.src.Line, Message: "bad addr or host: " + l.addr + " (Address family for hostname not supported)", Fatal: true})
			}
			out = append(out, f...)
		}
	}
	return out
}
