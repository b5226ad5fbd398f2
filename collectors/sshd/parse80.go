package sshd

import (
	"fmt"
	"strconv"
	"strings"
)

// OpenSSH 8.0p1 to 8.4p1 parse a line differently from 8.7p1 on: comments
// are cut at the first '#' when the file is read (quotes or not), the
// arguments are taken one by one with strdelim() (so '=' separates them
// too and an unterminated quote just ends the line), a handler reads only
// what it needs, anything left over is fatal ("garbage at end of line"),
// and most messages are worded differently. lineOld and runOld are that
// process_server_config_line.

// lineOld processes one line as 8.0p1–8.4p1 do.
func (p *pass) lineOld(line string, src Source, active *bool, incFlags *int, depth int) bool {
	line = strings.TrimRight(line, whitespace+"\f")
	if line == "" {
		return true
	}
	cp := &line
	kw, rest, ok := strdelim(cp)
	if !ok {
		return true
	}
	if kw == "" {
		kw, rest, ok = strdelim(rest)
		if !ok {
			return true
		}
	}
	if kw == "" || kw[0] == '#' {
		return true
	}
	k, known := p.lookup(kw, src)
	if !*active && k.flags&cfgMatch == 0 {
		if p.ci == nil {
			p.errorf(true, src, "Directive '%s' is not allowed within a Match block", kw)
		}
		return true
	}
	if !known {
		return false
	}
	raw := ""
	if rest != nil {
		raw = *rest
	}
	h := handlerCtx{p: p, o: p.o, v: p.c.v, kw: kw, op: k.op, raw: raw, line: line, src: src, active: *active, rest: rest}
	switch k.op {
	case opInclude:
		return p.includeOld(&h, active, incFlags, depth)
	case opMatch:
		return p.matchOld(&h, active, incFlags)
	}
	if done, ok := h.runOld(); done {
		return ok
	}
	if a, ok := h.nextOld(); ok && a != "" {
		p.errorf(true, src, "garbage at end of line; \"%s\".", truncate(a, 200))
	}
	return true
}

// nextOld is strdelim() on what is left of the line: ok is false when
// nothing is (or a quote is never closed).
func (h *handlerCtx) nextOld() (string, bool) {
	if h.rest == nil {
		return "", false
	}
	tok, rest, ok := strdelim(h.rest)
	h.rest = rest
	if !ok {
		h.rest = nil
		return "", false
	}
	return tok, true
}

// restOld is what is left of the line, unsplit ("" and false when nothing).
func (h *handlerCtx) restOld() (string, bool) {
	if h.rest == nil {
		return "", false
	}
	return *h.rest, true
}

// consumeOld drops what is left of the line (handlers that "return 0").
func (h *handlerCtx) consumeOld() { h.rest = nil }

// runOld applies the keyword as 8.0p1–8.4p1 do. done is true when the
// handler ended the line itself (sshd's "return"), with ok its result;
// otherwise the caller checks for garbage at the end of the line.
func (h *handlerCtx) runOld() (done, ok bool) {
	o, op := h.o, h.op
	c := h.p.c
	fatal := func(format string, args ...any) (bool, bool) {
		h.fatalf(format, args...)
		return true, true
	}
	if ms, ok := c.multistate(op); ok {
		return h.multistateOld(ms)
	}
	if flagKeywords[op] {
		return h.multistateOld(msFlag)
	}
	if intKeywords[op] {
		a, _ := h.nextOld()
		v, err := atoiErr(a)
		if err != "" {
			return fatal("integer value %s.", err)
		}
		if h.active {
			o.setFirst(op, strconv.Itoa(v), h.src)
		}
		return false, true
	}
	if timeKeywords[op] {
		return h.parseTimeOld(op)
	}
	switch op {
	case opDeprecated, opUnsupported:
		what := "Deprecated"
		if op == opUnsupported {
			what = "Unsupported"
		}
		h.p.report(lineError(h.src, false, fmt.Sprintf("%s option %s", what, h.kw)))
		h.consumeOld()
	case opIgnore:
		h.consumeOld()
	case opDebian:
		return h.multistateOld(msFlag)
	case "port":
		if len(o.listOf("port")) >= 256 {
			return fatal("too many ports.")
		}
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing port number.")
		}
		port := c.a2port(a)
		if port <= 0 {
			return fatal("Badly formatted port number.")
		}
		o.appendList("port", h.src, strconv.Itoa(port))
	case "listenaddress":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing address")
		}
		var addr string
		port := 0
		if !strings.Contains(a, "[") && strings.Count(a, ":") >= 2 {
			addr = a
		} else {
			host, p, ok := hpdelimOf(h.v, a)
			if !ok {
				return fatal("bad address:port usage")
			}
			addr = cleanHostname(host)
			if p != nil {
				if port = c.a2port(*p); port <= 0 {
					return fatal("bad port number")
				}
			}
		}
		if b, ok := h.nextOld(); ok {
			if b != "rdomain" {
				return fatal("bad ListenAddress syntax")
			}
			if _, ok := h.nextOld(); !ok {
				return fatal("bad ListenAddress syntax")
			}
			return fatal("bad routing domain")
		}
		o.listen = append(o.listen, listenSpec{addr: addr, port: port, src: h.src})
	case "hostkey", "hostcertificate":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing file name.")
		}
		if h.active {
			o.appendList(op, h.src, c.derelativise(a))
		}
	case "hostkeyagent":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing socket name.")
		}
		if h.active {
			if a != "SSH_AUTH_SOCK" {
				a = c.derelativise(a)
			}
			o.setFirst(op, a, h.src)
		}
	case "pidfile", "xauthlocation", "banner", "trustedusercakeys", "revokedkeys", "securitykeyprovider":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing file name.")
		}
		if h.active && !o.isSet(op) {
			if op != "securitykeyprovider" || !equalFold(a, "internal") {
				a = c.derelativise(a)
			}
			o.setFirst(op, a, h.src)
		}
	case "hostbasedacceptedkeytypes", "hostkeyalgorithms", "casignaturealgorithms", "pubkeyacceptedkeytypes":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing argument.")
		}
		names := a
		if a[0] == '+' || (a[0] == '^' && h.v >= v82) {
			names = a[1:]
		}
		if a[0] != '-' && !c.prof.keyNamesValid(names, false) {
			return fatal("Bad key types '%s'.", a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "ciphers", "macs", "kexalgorithms":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing argument.")
		}
		names := a
		if a[0] == '+' || (a[0] == '^' && h.v >= v82) {
			names = a[1:]
		}
		if valid, bad := c.prof.namesValid(op, names); a[0] != '-' && !valid {
			if op == "kexalgorithms" && bad != "" {
				// kex_names_valid() says which name it does not know.
				h.p.report(bareError(h.src, false, fmt.Sprintf("Unsupported KEX algorithm \"%s\"", truncate(bad, 100))))
			}
			switch op {
			case "ciphers":
				return fatal("Bad SSH2 cipher spec '%s'.", a)
			case "macs":
				return fatal("Bad SSH2 mac spec '%s'.", a)
			default:
				return fatal("Bad SSH2 KexAlgorithms '%s'.", a)
			}
		}
		o.setFirst(op, a, h.src)
	case "gssapikexalgorithms":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("%s missing argument.", h.kw)
		}
		if !c.prof.gssNamesValid(a) {
			return fatal("Bad GSSAPI KexAlgorithms '%s'.", a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "pubkeyauthoptions":
		v := 0
		for {
			a, ok := h.nextOld()
			if !ok || a == "" {
				break
			}
			switch {
			case equalFold(a, "none"):
			case equalFold(a, "touch-required"):
				v |= 1
			case equalFold(a, "verify-required") && h.v >= v84:
				v |= 2
			default:
				return fatal("unsupported PubkeyAuthOptions option %s", a)
			}
		}
		if h.active {
			o.setFirst(op, strconv.Itoa(v), h.src)
		}
	case "permituserenvironment":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing argument.")
		}
		if h.active && !o.isSet(op) {
			switch a {
			case "yes", "no":
				o.setFirst(op, a, h.src)
			default:
				o.setFirst(op, "yes", h.src)
				o.setFirst("permituserenvironment.allowlist", a, h.src)
			}
		}
	case "rekeylimit":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing argument.")
		}
		var v int64
		if a != "default" {
			n, err := scanScaled(a)
			if err != nil {
				return fatal("Bad number '%s': %v", a, err)
			}
			if n != 0 && n < 16 {
				return fatal("RekeyLimit too small")
			}
			v = n
		}
		if h.active {
			o.setFirst("rekeylimit.limit", strconv.FormatInt(v, 10), h.src)
		}
		if rest, ok := h.restOld(); ok {
			if rest == "none" {
				h.nextOld()
				return false, true
			}
			return h.parseTimeOld("rekeylimit.interval")
		}
	case "syslogfacility":
		a, _ := h.nextOld()
		name, ok := logFacility(a)
		if !ok {
			return fatal("unsupported log facility '%s'", orNone(a))
		}
		o.setFirst(op, name, h.src)
	case "loglevel":
		a, _ := h.nextOld()
		name, ok := c.logLevel(a)
		if !ok {
			return fatal("unsupported log level '%s'", orNone(a))
		}
		if h.active {
			o.setFirst(op, name, h.src)
		}
	case "allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv":
		for {
			a, ok := h.nextOld()
			if !ok || a == "" {
				break
			}
			switch {
			case op == "acceptenv" && strings.Contains(a, "="):
				return fatal("Invalid environment name.")
			case (op == "allowusers" || op == "denyusers") && !validUserPattern(a):
				name := map[string]string{"allowusers": "AllowUsers", "denyusers": "DenyUsers"}[op]
				return fatal("invalid %s pattern: \"%s\"", name, truncate(a, 100))
			}
			if h.active {
				o.appendList(op, h.src, a)
			}
		}
	case "setenv":
		first := !o.isSet(op)
		for {
			// SetEnv takes its values with strdelimw(): '=' does not
			// separate them.
			a, ok := h.nextOldW()
			if !ok || a == "" {
				break
			}
			if !strings.Contains(a, "=") {
				return fatal("Invalid environment.")
			}
			if h.active && first {
				o.appendList(op, h.src, a)
			}
		}
	case "subsystem":
		if len(o.subsystems) >= 256 {
			return fatal("too many subsystems defined.")
		}
		name, ok := h.nextOld()
		if !ok || name == "" {
			return fatal("Missing subsystem name.")
		}
		if !h.active {
			h.nextOld()
			break
		}
		for _, s := range o.subsystems {
			if s == name {
				return fatal("Subsystem '%s' already defined.", name)
			}
		}
		cmd, ok := h.nextOld()
		if !ok || cmd == "" {
			return fatal("Missing subsystem command.")
		}
		full := []string{cmd}
		for {
			a, ok := h.nextOld()
			if !ok || a == "" {
				break
			}
			full = append(full, a)
		}
		o.subsystems = append(o.subsystems, name)
		o.appendList("subsystem", h.src, name+" "+strings.Join(full, " "))
	case "maxstartups":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing MaxStartups spec.")
		}
		vals, n := scanInts(a, 3)
		for i, k := range []string{"maxstartups.begin", "maxstartups.rate", "maxstartups.max"} {
			if i < n {
				o.set(k, strconv.Itoa(vals[i]), h.src)
			}
		}
		switch n {
		case 3:
			if vals[0] > vals[2] || vals[1] > 100 || vals[1] < 1 {
				return fatal("Illegal MaxStartups spec.")
			}
		case 1:
			o.set("maxstartups.max", strconv.Itoa(vals[0]), h.src)
		default:
			return fatal("Illegal MaxStartups spec.")
		}
	case "authorizedkeysfile":
		if h.active && !o.isSet(op) {
			for {
				a, ok := h.nextOld()
				if !ok || a == "" {
					break
				}
				e, err := c.tildeExpand(a)
				if err != nil {
					return fatal("%v", err)
				}
				o.appendList(op, h.src, e)
			}
		}
		h.consumeOld()
		return true, true
	case "authorizedprincipalsfile":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing file name.")
		}
		if h.active && !o.isSet(op) {
			e, err := c.tildeExpand(a)
			if err != nil {
				return fatal("%v", err)
			}
			o.setFirst(op, e, h.src)
		}
	case "permittunnel":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing yes/point-to-point/ethernet/no argument.")
		}
		switch a {
		case "no", "point-to-point", "ethernet", "yes":
		default:
			return fatal("Bad yes/point-to-point/ethernet/no argument: %s", a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "permitopen", "permitlisten":
		name := map[string]string{"permitopen": "PermitOpen", "permitlisten": "PermitListen"}[op]
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing %s specification", name)
		}
		first := !o.isSet(op)
		if a == "any" || a == "none" {
			if h.active && first {
				o.appendList(op, h.src, a)
			}
			break
		}
		for ok && a != "" {
			entry := a
			var port *string
			if op == "permitlisten" && !strings.Contains(a, ":") {
				entry = "*:" + a
				port = &a
			} else {
				_, p, okh := hpdelimOf(h.v, a)
				if !okh {
					return fatal("missing host in %s", name)
				}
				port = p
			}
			if port == nil || !validPermitPort(c, *port) {
				return fatal("bad port number in %s", name)
			}
			if h.active && first {
				o.appendList(op, h.src, entry)
			}
			a, ok = h.nextOld()
		}
	case "forcecommand":
		rest, ok := h.restOld()
		if !ok || rest == "" {
			return fatal("Missing argument.")
		}
		if h.active {
			o.setFirst(op, strings.TrimLeft(rest, whitespace), h.src)
		}
		h.consumeOld()
		return true, true
	case "chrootdirectory", "authorizedkeyscommanduser", "authorizedprincipalscommanduser":
		a, ok := h.nextOld()
		if !ok || a == "" {
			switch op {
			case "chrootdirectory":
				return fatal("missing file name.")
			case "authorizedkeyscommanduser":
				return fatal("missing AuthorizedKeysCommandUser argument.")
			}
			return fatal("missing AuthorizedPrincipalsCommandUser argument.")
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "ipqos":
		a, _ := h.nextOld()
		v1, ok1 := c.parseIPQoS(a)
		if !ok1 {
			return fatal("Bad IPQoS value: %s", orNull(a))
		}
		v2 := v1
		if b, ok := h.nextOld(); ok {
			if v2, ok1 = c.parseIPQoS(b); !ok1 {
				return fatal("Bad IPQoS value: %s", b)
			}
		}
		if h.active {
			o.set(op, c.ipqosName(v1)+" "+c.ipqosName(v2), h.src)
		}
	case "versionaddendum":
		rest, ok := h.restOld()
		if !ok || rest == "" {
			return fatal("Missing argument.")
		}
		v := strings.TrimLeft(rest, whitespace)
		if h.active && !o.isSet(op) {
			switch {
			case equalFold(v, "none"):
				o.setFirst(op, "", h.src)
			case strings.Contains(v, "\r"):
				return fatal("Invalid argument")
			default:
				o.setFirst(op, v, h.src)
			}
		}
		h.consumeOld()
		return true, true
	case "authorizedkeyscommand", "authorizedprincipalscommand":
		rest, ok := h.restOld()
		if !ok {
			return fatal("Missing argument.")
		}
		v := strings.TrimLeft(rest, whitespace)
		if h.active && !o.isSet(op) {
			if !strings.HasPrefix(v, "/") && !equalFold(v, "none") {
				name := map[string]string{"authorizedkeyscommand": "AuthorizedKeysCommand", "authorizedprincipalscommand": "AuthorizedPrincipalsCommand"}[op]
				return fatal("%s must be an absolute path", name)
			}
			o.setFirst(op, v, h.src)
		}
		h.consumeOld()
		return true, true
	case "authenticationmethods":
		if !o.isSet(op) {
			sawAny, parsed := false, false
			for {
				a, ok := h.nextOld()
				if !ok || a == "" {
					break
				}
				switch {
				case a == "any":
					if len(o.listOf(op)) > 0 {
						return fatal("\"any\" must appear alone in AuthenticationMethods")
					}
					sawAny = true
				case sawAny:
					return fatal("\"any\" must appear alone in AuthenticationMethods")
				case !authMethodsValid(a, nil):
					return fatal("invalid authentication method list.")
				}
				parsed = true
				if h.active {
					o.appendList(op, h.src, a)
				}
			}
			if !parsed {
				return fatal("no AuthenticationMethods specified")
			}
		}
		h.consumeOld()
		return true, true
	case "streamlocalbindmask":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("missing StreamLocalBindMask argument.")
		}
		v, ok := strtolPrefix(a, 8)
		if !ok || v < 0 || v > 0o777 {
			return fatal("Bad mask.")
		}
		if h.active {
			o.set(op, fmt.Sprintf("0%o", v), h.src)
		}
	case "fingerprinthash":
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing argument.")
		}
		name := ""
		for _, d := range []string{"MD5", "SHA1", "SHA256", "SHA384", "SHA512"} {
			if equalFold(a, d) {
				name = d
			}
		}
		if name == "" {
			return fatal("Invalid hash algorithm \"%s\".", a)
		}
		if h.active {
			o.set(op, name, h.src)
		}
	case "rdomain":
		if h.v >= v84 {
			return fatal("setting RDomain not supported on this platform.")
		}
		a, ok := h.nextOld()
		if !ok || a == "" {
			return fatal("Missing argument.")
		}
		if !equalFold(a, "none") && a != "%D" {
			return fatal("bad routing domain")
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	default:
		return fatal("Missing handler for opcode %s", h.kw)
	}
	return false, true
}

func (h *handlerCtx) multistateOld(ms multistate) (bool, bool) {
	a, ok := h.nextOld()
	if !ok || a == "" {
		h.fatalf("missing argument.")
		return true, true
	}
	v, ok := ms.parse(a)
	if !ok {
		h.fatalf("unsupported option \"%s\".", a)
		return true, true
	}
	if h.active {
		h.o.setFirst(h.op, ms.name(v), h.src)
	}
	return false, true
}

func (h *handlerCtx) parseTimeOld(slotName string) (bool, bool) {
	a, ok := h.nextOld()
	if !ok || a == "" {
		h.fatalf("missing time value.")
		return true, true
	}
	v, ok := convtimeOf(h.v, a)
	if !ok {
		h.fatalf("invalid time value.")
		return true, true
	}
	if h.active {
		h.o.setFirst(slotName, strconv.Itoa(v), h.src)
	}
	return false, true
}

// nextOldW is strdelimw(): strdelim without '=' as a separator.
func (h *handlerCtx) nextOldW() (string, bool) {
	if h.rest == nil {
		return "", false
	}
	tok, rest, ok := strdelimW(h.rest)
	h.rest = rest
	if !ok {
		h.rest = nil
		return "", false
	}
	return tok, true
}

// includeOld handles an Include line of 8.2p1 and 8.4p1 (8.0p1 has none).
func (p *pass) includeOld(h *handlerCtx, active *bool, incFlags *int, depth int) bool {
	n := 0
	for {
		a, ok := h.nextOld()
		if !ok || a == "" {
			break
		}
		n++
		pattern := a
		if a[0] != '/' && a[0] != '~' {
			pattern = sshDir + "/" + a
			if p.c.v < v84 {
				// 8.2p1 joins SSHDIR with the wrong variable: the keyword
				// as written, then the previous pattern.
				prev := h.kw
				if p.lastInclude != "" {
					prev = p.lastInclude
				}
				pattern = sshDir + "/" + prev
			}
		}
		p.lastInclude = pattern
		p.includeFiles(h, pattern, active, incFlags, depth)
		if p.tooDeep || p.stop && p.c.opts.stopAtFatal {
			return true
		}
	}
	if n == 0 {
		h.fatalf("Include missing filename argument")
	}
	h.consumeOld()
	return true
}

// matchOld handles a Match line of 8.0p1–8.4p1.
func (p *pass) matchOld(h *handlerCtx, active *bool, incFlags *int) bool {
	ci := p.ci
	never := *incFlags&incNeverMatch != 0
	if never && p.c.v >= v84 {
		ci = nil
	}
	tk := &tokens{str: h.rest}
	v := p.matchLine(h, tk, ci, p.ci != nil && !(never && p.c.v >= v84))
	if v < 0 {
		h.fatalf("Bad Match condition")
		*active = false
		return true
	}
	*active = !never && v == 1
	*incFlags &^= incMatchOnly
	// match_cfg_line leaves the rest of the line to the garbage check.
	h.rest = tk.str
	if a, ok := h.nextOld(); ok && a != "" {
		p.errorf(true, h.src, "garbage at end of line; \"%s\".", truncate(a, 200))
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func orNull(s string) string {
	if s == "" {
		return "(null)"
	}
	return s
}
