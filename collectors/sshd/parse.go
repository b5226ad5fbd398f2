package sshd

import (
	"fmt"
	"strconv"
	"strings"
)

// Include flags, as sshd's SSHCFG_NEVERMATCH and SSHCFG_MATCH_ONLY.
const (
	incNeverMatch = 1 << iota
	incMatchOnly
)

// maxDepth is sshd's SERVCONF_MAX_DEPTH for nested Includes.
const maxDepth = 16

// sshDir is where relative Include paths resolve (sshd's SSHDIR).
const sshDir = "/etc/ssh"

// ConfigError is a problem sshd reports about a configuration line. Fatal
// ones make sshd refuse to start (and `sshd -T` print nothing).
type ConfigError struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal"`
}

// pass is one parse of the configuration: sshd's first (global) pass when
// ci is nil, or the Match pass for a connection spec.
type pass struct {
	c    *config
	o    *options
	ci   *ConnInfo
	bad  map[string]int // "error" (not fatal) lines per file, for sshd's "terminating" message
	stop bool           // a fatal error: sshd would have exited here
	// tooDeep: Includes nested past maxDepth. Unlike other fatal errors the
	// pass ends here even when it keeps going after them: a file including
	// itself twice would otherwise be parsed 2^maxDepth times.
	tooDeep bool
}

func (p *pass) errorf(fatal bool, src Source, format string, args ...any) {
	p.c.addError(ConfigError{Path: src.Path, Line: src.Line, Message: fmt.Sprintf(format, args...), Fatal: fatal})
	if fatal {
		p.stop = true
	}
}

// parseFile runs every line of one file, as parse_server_config_depth.
func (p *pass) parseFile(path string, lines []string, flags int, active *bool, depth int) {
	if depth > maxDepth {
		p.errorf(true, Source{Path: path}, "Too many recursive configuration includes")
		p.tooDeep = true
		return
	}
	for i, l := range lines {
		if p.tooDeep || p.stop && p.c.stopAtFatal {
			return
		}
		if !p.line(l, Source{Path: path, Line: i + 1}, active, &flags, depth) {
			p.bad[path]++
		}
	}
	if n := p.bad[path]; n > 0 {
		p.bad[path] = 0
		p.c.addError(ConfigError{Path: path, Message: fmt.Sprintf("terminating, %d bad configuration options", n), Fatal: true})
		p.stop = true
	}
}

// line processes one configuration line (process_server_config_line_depth).
// It returns false for the "error" class of problems, which sshd counts
// before giving up at the end of the file.
func (p *pass) line(line string, src Source, active *bool, incFlags *int, depth int) bool {
	line = strings.TrimRight(line, whitespace+"\f")
	if line == "" {
		return true
	}
	str := &line
	kw, rest, ok := strdelim(str)
	if !ok {
		return true // sshd: strdelim NULL means "no keyword"
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
	if rest == nil || *rest == "" {
		p.errorf(false, src, "no argument after keyword %q", kw)
		return false
	}
	raw := *rest
	k, known := p.c.keywords[strings.ToLower(kw)]
	if !known {
		p.errorf(false, src, "Bad configuration option: %s", kw)
	}
	args, err := argvSplit(raw)
	if err != nil {
		p.errorf(false, src, "invalid quotes")
		return false
	}
	if !*active && k.flags&cfgMatch == 0 {
		if p.ci == nil {
			p.errorf(true, src, "Directive '%s' is not allowed within a Match block", kw)
		}
		return true // the second pass skips what the first applied
	}
	if !known {
		return false
	}
	h := handlerCtx{p: p, o: p.o, kw: kw, op: k.op, args: args, raw: raw, line: line, src: src, active: *active}
	switch k.op {
	case opInclude:
		return p.include(&h, active, incFlags, depth)
	case opMatch:
		return p.match(&h, active, incFlags)
	}
	if !h.run() {
		return false
	}
	if len(h.args) > 0 {
		p.errorf(false, src, "keyword %s extra arguments at end of line", kw)
		return false
	}
	return true
}

// handlerCtx carries one line through its keyword's handler.
type handlerCtx struct {
	p      *pass
	o      *options
	kw, op string
	args   []string // arguments not consumed yet
	raw    string   // the line after the keyword, unsplit
	line   string
	src    Source
	active bool
}

// next consumes one argument ("" and false when none is left).
func (h *handlerCtx) next() (string, bool) {
	if len(h.args) == 0 {
		return "", false
	}
	a := h.args[0]
	h.args = h.args[1:]
	return a, true
}

func (h *handlerCtx) fatalf(format string, args ...any) bool {
	h.p.errorf(true, h.src, format, args...)
	h.args = nil
	return true
}

func (h *handlerCtx) errorf(format string, args ...any) bool {
	h.p.errorf(false, h.src, format, args...)
	return false
}

// run applies the keyword; false means an "error" line (counted), fatal
// problems are recorded by fatalf and return true.
//
// Keywords parsed alike are looked up in tables (multistates, flagKeywords,
// intKeywords, timeKeywords); the rest, each parsed its own way, are the
// cases of one switch, as in sshd's process_server_config_line_depth, so
// that each can be read against its case there.
func (h *handlerCtx) run() bool {
	o, op := h.o, h.op
	c := h.p.c
	if ms, ok := multistates[op]; ok {
		return h.multistate(ms)
	}
	if flagKeywords[op] {
		return h.multistate(msFlag)
	}
	if intKeywords[op] {
		a, _ := h.next()
		v, err := atoiErr(a)
		if err != "" {
			return h.fatalf("%s integer value %s.", h.kw, err)
		}
		if h.active {
			o.setFirst(op, strconv.Itoa(v), h.src)
		}
		return true
	}
	if timeKeywords[op] {
		return h.parseTime(op)
	}
	switch op {
	case opDeprecated, opUnsupported:
		what := "Deprecated"
		if op == opUnsupported {
			what = "Unsupported"
		}
		h.p.c.addError(ConfigError{Path: h.src.Path, Line: h.src.Line, Message: fmt.Sprintf("%s option %s", what, h.kw)})
		h.args = nil
	case opIgnore:
		h.args = nil
	case opDebian:
		return h.multistate(msFlag)
	case "port":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("missing port number.")
		}
		port := c.a2port(a)
		if port <= 0 {
			return h.fatalf("Badly formatted port number.")
		}
		if len(o.listOf("port")) >= 256 {
			return h.fatalf("too many ports.")
		}
		o.appendList("port", h.src, strconv.Itoa(port))
	case "listenaddress":
		return h.listenAddress()
	case "hostkey", "hostcertificate":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("missing file name.")
		}
		if h.active {
			o.appendList(op, h.src, c.derelativise(a))
		}
	case "hostkeyagent":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("missing socket name.")
		}
		if h.active {
			if a != "SSH_AUTH_SOCK" {
				a = c.derelativise(a)
			}
			o.setFirst(op, a, h.src)
		}
	case "pidfile", "modulifile", "xauthlocation", "banner", "trustedusercakeys", "revokedkeys":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("missing file name.")
		}
		if h.active && !o.isSet(op) {
			o.setFirst(op, c.derelativise(a), h.src)
		}
	case "hostbasedacceptedalgorithms", "hostkeyalgorithms", "casignaturealgorithms", "pubkeyacceptedalgorithms":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("Missing argument.")
		}
		if a[0] != '-' && !c.prof.keyNamesValid(strings.TrimLeft(a[:1], "+^")+a[1:]) {
			return h.fatalf("Bad key types '%s'.", a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "ciphers", "macs", "kexalgorithms":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		names := a
		if a[0] == '+' || a[0] == '^' {
			names = a[1:]
		}
		if a[0] != '-' && !c.prof.namesValid(op, names) {
			switch op {
			case "ciphers":
				return h.fatalf("Bad SSH2 cipher spec '%s'.", a)
			case "macs":
				return h.fatalf("Bad SSH2 mac spec '%s'.", a)
			default:
				return h.fatalf("Bad SSH2 KexAlgorithms '%s'.", a)
			}
		}
		o.setFirst(op, a, h.src)
	case "gssapikexalgorithms":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		if !c.prof.gssNamesValid(a) {
			return h.fatalf("Bad GSSAPI KexAlgorithms '%s'.", a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "pubkeyauthoptions":
		v := 0
		for {
			a, ok := h.next()
			if !ok {
				break
			}
			switch {
			case equalFold(a, "none"):
			case equalFold(a, "touch-required"):
				v |= 1
			case equalFold(a, "verify-required"):
				v |= 2
			default:
				return h.errorf("unsupported %s option %s", h.kw, a)
			}
		}
		if h.active {
			o.setFirst(op, strconv.Itoa(v), h.src)
		}
	case "permituserenvironment":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
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
		return h.rekeyLimit()
	case "syslogfacility":
		a, _ := h.next()
		name, ok := logFacility(a)
		if !ok {
			return h.fatalf("unsupported log facility '%s'", orNone(a))
		}
		o.setFirst(op, name, h.src)
	case "loglevel":
		a, _ := h.next()
		name, ok := logLevel(a)
		if !ok {
			return h.fatalf("unsupported log level '%s'", orNone(a))
		}
		if h.active {
			o.setFirst(op, name, h.src)
		}
	case "logverbose", "channeltimeout":
		return h.firstLineList(op)
	case "allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv":
		for {
			a, ok := h.next()
			if !ok {
				break
			}
			switch {
			case a == "":
				if op == "allowgroups" || op == "denygroups" {
					return h.fatalf("empty %s pattern", h.kw)
				}
				if op == "acceptenv" {
					return h.fatalf("Invalid environment name.")
				}
				return h.fatalf("invalid %s pattern: \"%s\"", h.kw, a)
			case op == "acceptenv" && strings.Contains(a, "="):
				return h.fatalf("Invalid environment name.")
			case (op == "allowusers" || op == "denyusers") && !validUserPattern(a):
				return h.fatalf("invalid %s pattern: \"%s\"", h.kw, a)
			}
			if h.active {
				o.appendList(op, h.src, a)
			}
		}
	case "subsystem":
		name, ok := h.next()
		if !ok || name == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		if len(o.subsystems) >= 256 {
			return h.fatalf("too many subsystems defined.")
		}
		if !h.active {
			h.next()
			break
		}
		for _, s := range o.subsystems {
			if s == name {
				return h.fatalf("Subsystem '%s' already defined.", name)
			}
		}
		cmd, ok := h.next()
		if !ok || cmd == "" {
			return h.fatalf("Missing subsystem command.")
		}
		full := append([]string{cmd}, h.args...)
		h.args = nil
		o.subsystems = append(o.subsystems, name)
		o.appendList("subsystem", h.src, name+" "+strings.Join(full, " "))
	case "maxstartups":
		return h.maxStartups()
	case "persourcenetblocksize":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		vals, n := scanInts(a, 2)
		bad := n != 1 && n != 2
		if n == 2 && (vals[1] < 0 || vals[1] > 128) || n >= 1 && (vals[0] < 0 || vals[0] > 32) {
			bad = true
		}
		if bad {
			return h.fatalf("Invalid %s spec.", h.kw)
		}
		if n == 1 {
			// sshd leaves the IPv6 length to whatever its stack held; it
			// prints 0 in practice.
			vals = append(vals, 0)
		}
		o.set("persourcenetblocksize", fmt.Sprintf("%d:%d", vals[0], vals[1]), h.src)
	case "persourcemaxstartups":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		v := "none"
		if a != "none" {
			n, err := atoiErr(a)
			if err != "" {
				return h.fatalf("%s integer value %s.", h.kw, err)
			}
			v = strconv.Itoa(n)
			if n == 1<<31-1 {
				v = "none"
			}
		}
		o.set(op, v, h.src)
	case "authorizedkeysfile":
		first := !o.isSet(op)
		for {
			a, ok := h.next()
			if !ok {
				break
			}
			if a == "" {
				return h.errorf("keyword %s empty argument", h.kw)
			}
			e, err := c.tildeExpand(a)
			if err != nil {
				return h.fatalf("%v", err)
			}
			if h.active && first {
				o.appendList(op, h.src, e)
			}
		}
	case "authorizedprincipalsfile":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		if h.active && !o.isSet(op) {
			e, err := c.tildeExpand(a)
			if err != nil {
				return h.fatalf("%v", err)
			}
			o.setFirst(op, e, h.src)
		}
	case "setenv":
		first := !o.isSet(op)
		for {
			a, ok := h.next()
			if !ok {
				break
			}
			if a == "" || !strings.Contains(a, "=") {
				return h.fatalf("Invalid environment.")
			}
			if !h.active || !first {
				continue
			}
			name := a[:strings.IndexByte(a, '=')]
			dup := false
			for _, e := range o.listOf(op) {
				if strings.HasPrefix(e, name+"=") {
					dup = true
				}
			}
			if !dup {
				o.appendList(op, h.src, a)
			}
		}
	case "permittunnel":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		switch a {
		case "no", "point-to-point", "ethernet", "yes":
		default:
			return h.fatalf("bad %s argument %s", h.kw, a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "permitopen", "permitlisten":
		return h.permitOpen()
	case "forcecommand":
		if h.active {
			o.setFirst(op, strings.TrimLeft(h.raw, whitespace), h.src)
		}
		h.args = nil
	case "chrootdirectory", "authorizedkeyscommanduser", "authorizedprincipalscommanduser":
		a, ok := h.next()
		if !ok || a == "" {
			if op == "chrootdirectory" {
				return h.fatalf("%s missing argument.", h.kw)
			}
			return h.fatalf("missing %s argument.", h.kw)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "securitykeyprovider":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		if h.active && !o.isSet(op) {
			if !equalFold(a, "internal") {
				a = c.derelativise(a)
			}
			o.setFirst(op, a, h.src)
		}
	case "ipqos":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		v1, ok1 := parseIPQoS(a)
		if !ok1 {
			return h.fatalf("Bad %s value: %s", h.kw, a)
		}
		v2 := v1
		if b, ok := h.next(); ok {
			if v2, ok1 = parseIPQoS(b); !ok1 {
				return h.fatalf("Bad %s value: %s", h.kw, b)
			}
		}
		if h.active {
			o.set(op, ipqosName(v1)+" "+ipqosName(v2), h.src)
		}
	case "versionaddendum":
		v := strings.TrimLeft(h.raw, whitespace)
		if strings.Contains(v, "\r") {
			return h.fatalf("Invalid %s argument", h.kw)
		}
		// sshd means to cut a '#' comment here but looks for it in the
		// keyword only (strdelim has ended the string there): nothing is cut.
		if equalFold(v, "none") {
			v = ""
		}
		o.setFirst(op, v, h.src)
		h.args = nil
	case "authorizedkeyscommand", "authorizedprincipalscommand":
		v := strings.TrimLeft(h.raw, whitespace)
		if !strings.HasPrefix(v, "/") && !equalFold(v, "none") {
			return h.fatalf("%s must be an absolute path", h.kw)
		}
		// sshd tests AuthorizedKeysCommand for both keywords.
		if h.active && !o.isSet("authorizedkeyscommand") {
			o.setFirst(op, v, h.src)
		}
		h.args = nil
	case "authenticationmethods":
		return h.authMethods()
	case "streamlocalbindmask":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		v, ok := strtolPrefix(a, 8)
		if !ok || v < 0 || v > 0o777 {
			return h.fatalf("Invalid %s.", h.kw)
		}
		if h.active {
			o.set(op, fmt.Sprintf("0%o", v), h.src)
		}
	case "fingerprinthash":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("%s missing argument.", h.kw)
		}
		name := ""
		for _, d := range []string{"MD5", "SHA1", "SHA256", "SHA384", "SHA512"} {
			if equalFold(a, d) {
				name = d
			}
		}
		if name == "" {
			return h.fatalf("Invalid %s algorithm \"%s\".", h.kw, a)
		}
		o.set(op, name, h.src)
	case "rdomain":
		return h.fatalf("setting RDomain not supported on this platform.")
	case "unusedconnectiontimeout":
		if len(h.args) > 0 && equalFold(h.args[0], "none") {
			h.next()
			if h.active {
				o.set(op, "0", h.src)
			}
			return true
		}
		return h.parseTime(op)
	default:
		return h.fatalf("Missing handler for opcode %s", h.kw)
	}
	return true
}

func (h *handlerCtx) multistate(ms multistate) bool {
	a, ok := h.next()
	if !ok || a == "" {
		return h.fatalf("missing argument.")
	}
	v, ok := ms.parse(a)
	if !ok {
		return h.fatalf("unsupported option \"%s\".", a)
	}
	if h.active {
		h.o.setFirst(h.op, ms.name(v), h.src)
	}
	return true
}

func (h *handlerCtx) parseTime(slotName string) bool {
	a, ok := h.next()
	if !ok || a == "" {
		return h.fatalf("missing time value.")
	}
	v, ok := convtime(a)
	if !ok {
		return h.fatalf("invalid time value.")
	}
	if h.active {
		h.o.setFirst(slotName, strconv.Itoa(v), h.src)
	}
	return true
}

func (h *handlerCtx) rekeyLimit() bool {
	a, ok := h.next()
	if !ok || a == "" {
		return h.fatalf("%s missing argument.", h.kw)
	}
	var v int64
	if a != "default" {
		n, err := scanScaled(a)
		if err != nil {
			return h.fatalf("Bad %s number '%s': %v", h.kw, a, err)
		}
		if n != 0 && n < 16 {
			return h.fatalf("%s too small", h.kw)
		}
		v = n
	}
	if h.active {
		h.o.setFirst("rekeylimit.limit", strconv.FormatInt(v, 10), h.src)
	}
	if len(h.args) > 0 {
		if h.args[0] == "none" {
			h.next()
			return true
		}
		return h.parseTime("rekeylimit.interval")
	}
	return true
}

func (h *handlerCtx) firstLineList(op string) bool {
	first := !h.o.isSet(op)
	i := 0
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		if op == "logverbose" && a == "" {
			return h.errorf("keyword %s empty argument", h.kw)
		}
		if equalFold(a, "none") {
			if i > 0 || len(h.args) > 0 {
				return h.errorf("keyword %s \"none\" argument must appear alone.", h.kw)
			}
		} else if op == "channeltimeout" && !validChannelTimeout(a) {
			return h.fatalf("invalid channel timeout %s", a)
		}
		i++
		if !first || !h.active {
			continue
		}
		h.o.appendList(op, h.src, a)
	}
	return true
}

func (h *handlerCtx) maxStartups() bool {
	a, ok := h.next()
	if !ok || a == "" {
		return h.fatalf("%s missing argument.", h.kw)
	}
	o := h.o
	cur := func(k string, def int) int {
		if s, ok := o.get(k); ok {
			n, _ := strconv.Atoi(s)
			return n
		}
		return def
	}
	vals, n := scanInts(a, 3)
	var begin, maxs int
	rate := cur("maxstartups.rate", -1)
	switch n {
	case 3:
		begin, rate, maxs = vals[0], vals[1], vals[2]
		if begin > maxs || rate > 100 || rate < 1 {
			return h.fatalf("Invalid %s spec.", h.kw)
		}
	case 1:
		begin, maxs = vals[0], vals[0]
	default:
		return h.fatalf("Invalid %s spec.", h.kw)
	}
	if maxs <= 0 || begin <= 0 {
		return h.fatalf("Invalid %s spec.", h.kw)
	}
	o.set("maxstartups.begin", strconv.Itoa(begin), h.src)
	o.set("maxstartups.max", strconv.Itoa(maxs), h.src)
	if rate != -1 {
		o.set("maxstartups.rate", strconv.Itoa(rate), h.src)
	}
	return true
}

func (h *handlerCtx) permitOpen() bool {
	o, op := h.o, h.op
	a, ok := h.next()
	if !ok || a == "" {
		return h.fatalf("%s missing argument.", h.kw)
	}
	first := !o.isSet(op)
	if a == "any" || a == "none" {
		if h.active && first {
			o.appendList(op, h.src, a)
		}
		return true
	}
	for ok && a != "" {
		entry := a
		var port string
		if op == "permitlisten" && !strings.Contains(a, ":") {
			entry = "*:" + a
			port = a
		} else {
			_, p, okh := hpdelim(a)
			if !okh {
				return h.fatalf("%s missing host", h.kw)
			}
			if p == nil {
				return h.fatalf("%s bad port number", h.kw)
			}
			port = *p
		}
		if !validPermitPort(h.p.c, port) {
			return h.fatalf("%s bad port number", h.kw)
		}
		if h.active && first {
			o.appendList(op, h.src, entry)
		}
		a, ok = h.next()
	}
	return true
}

func (h *handlerCtx) authMethods() bool {
	o := h.o
	first := !o.isSet("authenticationmethods")
	sawAny, parsed := false, false
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		switch {
		case a == "any":
			if len(o.listOf("authenticationmethods")) > 0 {
				return h.fatalf("\"any\" must appear alone in %s", h.kw)
			}
			sawAny = true
		case sawAny:
			return h.fatalf("\"any\" must appear alone in %s", h.kw)
		case !authMethodsValid(a, nil):
			return h.fatalf("invalid %s method list.", h.kw)
		}
		parsed = true
		if !first || !h.active {
			continue
		}
		o.appendList("authenticationmethods", h.src, a)
	}
	if !parsed {
		return h.fatalf("no %s specified", h.kw)
	}
	return true
}

func (h *handlerCtx) listenAddress() bool {
	a, ok := h.next()
	if !ok || a == "" {
		return h.fatalf("missing address")
	}
	var addr string
	port := 0
	if !strings.Contains(a, "[") && strings.Count(a, ":") >= 2 {
		addr = a
	} else {
		host, p, ok := hpdelim(a)
		if !ok {
			return h.fatalf("bad address:port usage")
		}
		addr = cleanHostname(host)
		if p != nil {
			port = h.p.c.a2port(*p)
			if port <= 0 {
				return h.fatalf("bad port number")
			}
		}
	}
	if b, ok := h.next(); ok {
		if b != "rdomain" {
			return h.fatalf("bad ListenAddress syntax")
		}
		if _, ok := h.next(); !ok {
			return h.fatalf("bad ListenAddress syntax")
		}
		return h.fatalf("bad routing domain")
	}
	h.o.listen = append(h.o.listen, listenSpec{addr: addr, port: port, src: h.src})
	return true
}

func orNone(s string) string {
	if s == "" {
		return "<NONE>"
	}
	return s
}
