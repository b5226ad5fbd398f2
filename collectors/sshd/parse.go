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

// cmdlineSource is where sshd says -o options come from.
const cmdlineSource = "command-line"

// ConfigError is a problem sshd reports about a configuration line. Fatal
// ones make sshd refuse to start (and `sshd -T` print nothing).
type ConfigError struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal"`
	// Text is the line sshd logs, as it logs it.
	Text string `json:"text"`
}

// lineError is a problem at a line: "FILE line N: MESSAGE".
func lineError(src Source, fatal bool, msg string) ConfigError {
	return ConfigError{Path: src.Path, Line: src.Line, Message: msg, Fatal: fatal, Text: fmt.Sprintf("%s line %d: %s", src.Path, src.Line, msg)}
}

// bareError is a problem sshd logs without saying where (Match criteria,
// checks after parsing); Path and Line still say where it is.
func bareError(src Source, fatal bool, msg string) ConfigError {
	return ConfigError{Path: src.Path, Line: src.Line, Message: msg, Fatal: fatal, Text: msg}
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
	// lastInclude is 8.2p1's Include path variable, which the next
	// relative Include reuses (a bug fixed in 8.4p1).
	lastInclude string
}

func (p *pass) report(e ConfigError) {
	p.c.addError(e)
	if e.Fatal {
		p.stop = true
	}
}

func (p *pass) errorf(fatal bool, src Source, format string, args ...any) {
	p.report(lineError(src, fatal, fmt.Sprintf(format, args...)))
}

// parseFile runs every line of one file, as parse_server_config_depth.
func (p *pass) parseFile(path string, lines []string, flags int, active *bool, depth int) {
	if depth > maxDepth {
		p.report(bareError(Source{Path: path}, true, "Too many recursive configuration includes"))
		p.tooDeep = true
		return
	}
	for i, l := range lines {
		if p.tooDeep || p.stop && p.c.opts.stopAtFatal {
			return
		}
		var ok bool
		if p.c.v < v87 {
			ok = p.lineOld(l, Source{Path: path, Line: i + 1}, active, &flags, depth)
		} else {
			ok = p.line(l, Source{Path: path, Line: i + 1}, active, &flags, depth)
		}
		if !ok {
			p.bad[path]++
		}
	}
	if n := p.bad[path]; n > 0 {
		p.bad[path] = 0
		p.report(ConfigError{Path: path, Message: fmt.Sprintf("terminating, %d bad configuration options", n), Fatal: true, Text: fmt.Sprintf("%s: terminating, %d bad configuration options", path, n)})
	}
	if p.c.v == v82 {
		// 8.2p1 resolves the queued ListenAddresses at the end of every
		// file, included ones too.
		p.c.flushListen(p.o)
	}
}

// lookup is parse_token(): the keyword's table entry, or the "Bad
// configuration option" error.
func (p *pass) lookup(kw string, src Source) (keyword, bool) {
	k, known := p.c.prof.keywords[strings.ToLower(kw)]
	if !known {
		p.report(ConfigError{Path: src.Path, Line: src.Line, Message: "Bad configuration option: " + kw, Text: fmt.Sprintf("%s: line %d: Bad configuration option: %s", src.Path, src.Line, kw)})
	}
	return k, known
}

// line processes one configuration line (process_server_config_line_depth
// of 8.7p1 and later, which split arguments with argv_split). It returns
// false for the "error" class of problems, which sshd counts before giving
// up at the end of the file.
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
		p.errorf(false, src, "no argument after keyword \"%s\"", kw)
		return false
	}
	raw := *rest
	k, known := p.lookup(kw, src)
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
	h := handlerCtx{p: p, o: p.o, v: p.c.v, kw: kw, op: k.op, args: args, raw: raw, line: line, src: src, active: *active}
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
	v      int // the release
	kw, op string
	args   []string // arguments not consumed yet
	raw    string   // the line after the keyword, unsplit
	line   string
	src    Source
	active bool
	// rest is what strdelim has not consumed yet (8.0p1 to 8.4p1).
	rest *string
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
	h.rest = nil
	return true
}

func (h *handlerCtx) errorf(format string, args ...any) bool {
	h.p.errorf(false, h.src, format, args...)
	return false
}

// missing is the "no argument" fatal error, as release v words it.
func (h *handlerCtx) missing() bool { return h.fatalf("%s missing argument.", h.kw) }

// run applies the keyword; false means an "error" line (counted), fatal
// problems are recorded by fatalf and return true.
//
// Keywords parsed alike are looked up in tables (multistates, flagKeywords,
// intKeywords, timeKeywords); the rest, each parsed its own way, are the
// cases of one switch, as in sshd's process_server_config_line_depth, so
// that each can be read against its case there. Release gates say where a
// release differs from the next.
func (h *handlerCtx) run() bool {
	o, op := h.o, h.op
	c := h.p.c
	if ms, ok := c.multistate(op); ok {
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
		h.p.report(lineError(h.src, false, fmt.Sprintf("%s option %s", what, h.kw)))
		h.args = nil
	case opIgnore:
		h.args = nil
	case opDebian:
		return h.multistate(msFlag)
	case "port":
		if len(o.listOf("port")) >= 256 {
			return h.fatalf("too many ports.")
		}
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("missing port number.")
		}
		port := c.a2port(a)
		o.appendList("port", h.src, strconv.Itoa(port))
		if port <= 0 {
			return h.fatalf("Badly formatted port number.")
		}
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
	case "pidfile", "modulifile", "xauthlocation", "banner", "trustedusercakeys", "revokedkeys", "sshdsessionpath", "sshdauthpath":
		if op == "revokedkeys" && h.v >= v105 {
			return h.fileList(op)
		}
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
		caOnly := op == "casignaturealgorithms" && h.v >= v96
		if a[0] != '-' && !c.prof.keyNamesValid(strings.TrimLeft(a[:1], "+^")+a[1:], caOnly) {
			return h.fatalf("Bad key types '%s'.", a)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "ciphers", "macs", "kexalgorithms":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
		}
		names := a
		if a[0] == '+' || a[0] == '^' {
			names = a[1:]
		}
		if valid, bad := c.prof.namesValid(op, names); a[0] != '-' && !valid {
			if op == "kexalgorithms" && bad != "" {
				// kex_names_valid() says which name it does not know.
				h.p.report(bareError(h.src, false, fmt.Sprintf("Unsupported KEX algorithm \"%s\"", truncate(bad, 100))))
			}
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
			return h.missing()
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
			return h.missing()
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
		name, ok := c.logLevel(a)
		if !ok {
			return h.fatalf("unsupported log level '%s'", orNone(a))
		}
		if h.active {
			o.setFirst(op, name, h.src)
		}
	case "logverbose", "channeltimeout":
		return h.firstLineList(op)
	case "allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv":
		n := 0
		for {
			a, ok := h.next()
			if !ok {
				break
			}
			n++
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
		if n == 0 && h.v >= v99 {
			return h.fatalf("no %s specified", h.kw)
		}
	case "subsystem":
		return h.subsystem()
	case "maxstartups":
		return h.maxStartups()
	case "persourcenetblocksize":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
		}
		vals, n := scanInts(a, 2)
		bad := n != 1 && n != 2
		if n == 2 && (vals[1] < 0 || vals[1] > 128) || n >= 1 && (vals[0] < 0 || vals[0] > 32) {
			bad = true
		}
		if bad {
			return h.fatalf("Invalid %s spec.", h.kw)
		}
		if h.v >= v105 {
			if h.active && !o.isSet("persourcenetblocksize.v4") {
				o.set("persourcenetblocksize.v4", strconv.Itoa(vals[0]), h.src)
				if n == 2 {
					o.set("persourcenetblocksize.v6", strconv.Itoa(vals[1]), h.src)
				}
			}
			break
		}
		if n == 1 {
			// sshd leaves the IPv6 length to whatever its stack held; it
			// prints 0 in practice.
			vals = append(vals, 0)
		}
		if h.active {
			o.set("persourcenetblocksize.v4", strconv.Itoa(vals[0]), h.src)
			o.set("persourcenetblocksize.v6", strconv.Itoa(vals[1]), h.src)
		}
	case "persourcemaxstartups":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
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
		if h.active {
			if h.v >= v96 {
				o.setFirst(op, v, h.src)
			} else {
				o.set(op, v, h.src)
			}
		}
	case "persourcepenalties":
		return h.penalties()
	case "persourcepenaltyexemptlist":
		a, ok := h.next()
		if !ok || a == "" {
			return h.fatalf("missing argument.")
		}
		if addrMatchList("", a) != 0 {
			return h.fatalf("keyword %s invalid address argument.", h.kw)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "authorizedkeysfile":
		return h.fileList(op)
	case "authorizedprincipalsfile":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
		}
		if h.active && !o.isSet(op) {
			e, err := c.tildeExpand(a)
			if err != nil {
				return h.fatalf("%v", err)
			}
			o.setFirst(op, e, h.src)
		}
	case "setenv":
		return h.setEnv()
	case "permittunnel":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
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
		if h.v >= v99 {
			return h.permitOpen99()
		}
		return h.permitOpen()
	case "forcecommand":
		if h.active {
			o.setFirst(op, strings.TrimLeft(h.raw, whitespace), h.src)
		}
		h.args = nil
	case "chrootdirectory", "authorizedkeyscommanduser", "authorizedprincipalscommanduser", "pamservicename":
		a, ok := h.next()
		if !ok || a == "" {
			switch op {
			case "chrootdirectory":
				return h.missing()
			case "pamservicename":
				return h.fatalf("missing argument.")
			}
			return h.fatalf("missing %s argument.", h.kw)
		}
		if h.active {
			o.setFirst(op, a, h.src)
		}
	case "securitykeyprovider":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
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
			return h.missing()
		}
		v1, ok1 := c.parseIPQoS(a)
		if !ok1 {
			return h.fatalf("Bad %s value: %s", h.kw, a)
		}
		v2 := v1
		if b, ok := h.next(); ok {
			if v2, ok1 = c.parseIPQoS(b); !ok1 {
				return h.fatalf("Bad %s value: %s", h.kw, b)
			}
		}
		if h.active && (h.v < v105 || !o.isSet(op)) {
			o.set(op, c.ipqosName(v1)+" "+c.ipqosName(v2), h.src)
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
		if h.active {
			o.setFirst(op, v, h.src)
		}
		h.args = nil
	case "authorizedkeyscommand", "authorizedprincipalscommand":
		v := strings.TrimLeft(h.raw, whitespace)
		if !strings.HasPrefix(v, "/") && !equalFold(v, "none") {
			return h.fatalf("%s must be an absolute path", h.kw)
		}
		// Until 9.6 sshd tests AuthorizedKeysCommand for both keywords.
		set := o.isSet(op)
		if h.v < v96 {
			set = o.isSet("authorizedkeyscommand")
		}
		if h.active && !set {
			o.setFirst(op, v, h.src)
		}
		h.args = nil
	case "authenticationmethods":
		return h.authMethods()
	case "streamlocalbindmask":
		a, ok := h.next()
		if !ok || a == "" {
			return h.missing()
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
			return h.missing()
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
		if h.active {
			o.set(op, name, h.src)
		}
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
	v, ok := convtimeOf(h.v, a)
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
		return h.missing()
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

// firstLineList is LogVerbose and ChannelTimeout: the first line that
// names them wins, "none" alone clears.
func (h *handlerCtx) firstLineList(op string) bool {
	first := !h.o.isSet(op)
	var got []string
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		if op == "logverbose" && a == "" {
			return h.errorf("keyword %s empty argument", h.kw)
		}
		if equalFold(a, "none") {
			if len(got) > 0 || len(h.args) > 0 {
				return h.errorf("keyword %s \"none\" argument must appear alone.", h.kw)
			}
		} else if op == "channeltimeout" && !validChannelTimeout(h.v, a) {
			return h.fatalf("invalid channel timeout %s", a)
		}
		got = append(got, a)
	}
	if len(got) == 0 && h.v >= v99 {
		return h.fatalf("no %s specified", h.kw)
	}
	if first && h.active {
		h.o.appendList(op, h.src, got...)
	}
	return true
}

// fileList is AuthorizedKeysFile (and, from 10.5, RevokedKeys): files, the
// first line wins; 10.5 takes "none" alone.
func (h *handlerCtx) fileList(op string) bool {
	c := h.p.c
	first := !h.o.isSet(op)
	var got []string
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		if a == "" {
			return h.errorf("keyword %s empty argument", h.kw)
		}
		if h.v >= v105 && equalFold(a, "none") && (len(got) > 0 || len(h.args) > 0) {
			return h.errorf("keyword %s \"none\" argument must appear alone.", h.kw)
		}
		e := a
		if op == "revokedkeys" {
			e = c.derelativise(a)
		} else {
			var err error
			if e, err = c.tildeExpand(a); err != nil {
				return h.fatalf("%v", err)
			}
		}
		got = append(got, e)
	}
	if len(got) == 0 && h.v >= v99 {
		return h.fatalf("no %s specified", h.kw)
	}
	if first && h.active {
		h.o.appendList(op, h.src, got...)
	}
	return true
}

func (h *handlerCtx) setEnv() bool {
	o, op := h.o, h.op
	first := !o.isSet(op)
	var got []string
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		if a == "" || !strings.Contains(a, "=") {
			return h.fatalf("Invalid environment.")
		}
		if h.v >= v92 {
			// 9.2 drops a later value of the same name.
			name := a[:strings.IndexByte(a, '=')]
			have := got
			if h.v < v99 {
				have = o.listOf(op)
			}
			dup := false
			for _, e := range have {
				if strings.HasPrefix(e, name+"=") {
					dup = true
				}
			}
			if dup {
				continue
			}
		}
		if h.v < v99 {
			if h.active && first {
				o.appendList(op, h.src, a)
			}
			continue
		}
		got = append(got, a)
	}
	if h.v >= v99 {
		if len(got) == 0 {
			return h.fatalf("no %s specified", h.kw)
		}
		if first && h.active {
			o.appendList(op, h.src, got...)
		}
	}
	return true
}

func (h *handlerCtx) subsystem() bool {
	o := h.o
	if h.v < v96 && len(o.subsystems) >= 256 {
		return h.fatalf("too many subsystems defined.")
	}
	name, ok := h.next()
	if !ok || name == "" {
		return h.missing()
	}
	var cmd string
	if h.v >= v105 {
		if cmd, ok = h.next(); !ok || cmd == "" {
			return h.missing()
		}
	}
	if !h.active {
		if h.v >= v96 {
			h.args = nil
		} else {
			h.next()
		}
		return true
	}
	for _, s := range o.subsystems {
		if s == name {
			if h.v >= v96 {
				// a later definition of the same name is ignored
				h.args = nil
				return true
			}
			return h.fatalf("Subsystem '%s' already defined.", name)
		}
	}
	if h.v < v105 {
		if cmd, ok = h.next(); !ok || cmd == "" {
			return h.fatalf("Missing subsystem command.")
		}
	}
	var line string
	switch {
	case h.v >= v99:
		rest := argvAssemble(h.args)
		line = argvAssemble([]string{cmd})
		if rest != "" {
			line += " " + rest
		}
	case h.v >= v96:
		line = argvAssemble([]string{cmd}) + " " + argvAssemble(h.args)
	default:
		line = strings.Join(append([]string{cmd}, h.args...), " ")
	}
	h.args = nil
	o.subsystems = append(o.subsystems, name)
	o.appendList("subsystem", h.src, name+" "+line)
	return true
}

func (h *handlerCtx) maxStartups() bool {
	a, ok := h.next()
	if !ok || a == "" {
		return h.missing()
	}
	o := h.o
	vals, n := scanInts(a, 3)
	var begin, rate, maxs int
	rate = -1
	switch n {
	case 3:
		begin, rate, maxs = vals[0], vals[1], vals[2]
	case 1:
		begin, maxs = vals[0], vals[0]
	}
	if h.v < v105 {
		// sshd scans straight into its options: every line counts, the
		// last wins, and the numbers stay even when the line is refused.
		if n >= 1 {
			o.set("maxstartups.begin", strconv.Itoa(vals[0]), h.src)
		}
		if n >= 2 {
			o.set("maxstartups.rate", strconv.Itoa(vals[1]), h.src)
		}
		if n >= 3 {
			o.set("maxstartups.max", strconv.Itoa(vals[2]), h.src)
		}
	}
	switch {
	case n == 3:
		if begin > maxs || rate > 100 || rate < 1 {
			return h.fatalf("Invalid %s spec.", h.kw)
		}
	case n == 1:
		if h.v < v105 {
			o.set("maxstartups.max", strconv.Itoa(begin), h.src)
		}
	default:
		return h.fatalf("Invalid %s spec.", h.kw)
	}
	if h.v >= v92 && (maxs <= 0 || begin <= 0) {
		return h.fatalf("Invalid %s spec.", h.kw)
	}
	if h.v >= v105 && h.active && !o.isSet("maxstartups.max") {
		o.set("maxstartups.begin", strconv.Itoa(begin), h.src)
		o.set("maxstartups.max", strconv.Itoa(maxs), h.src)
		if rate != -1 {
			o.set("maxstartups.rate", strconv.Itoa(rate), h.src)
		}
	}
	return true
}

// permitOpen is PermitOpen and PermitListen until 9.8.
func (h *handlerCtx) permitOpen() bool {
	o, op := h.o, h.op
	a, ok := h.next()
	if !ok || a == "" {
		return h.missing()
	}
	first := !o.isSet(op)
	if a == "any" || a == "none" {
		if h.active && first {
			o.appendList(op, h.src, a)
		}
		return true
	}
	for ok && a != "" {
		entry, bad := h.permitEntry(a)
		if bad {
			return true
		}
		if h.active && first {
			o.appendList(op, h.src, entry)
		}
		a, ok = h.next()
	}
	return true
}

// permitOpen99 is PermitOpen and PermitListen from 9.9: "any" and "none"
// alone.
func (h *handlerCtx) permitOpen99() bool {
	o, op := h.o, h.op
	first := !o.isSet(op)
	var got []string
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		if a == "any" || a == "none" {
			if len(got) != 0 {
				return h.fatalf("%s must appear alone on a %s line.", a, h.kw)
			}
			got = append(got, a)
			continue
		}
		entry, bad := h.permitEntry(a)
		if bad {
			return true
		}
		got = append(got, entry)
	}
	if len(got) == 0 {
		return h.missing()
	}
	if first && h.active {
		o.appendList(op, h.src, got...)
	}
	return true
}

// permitEntry checks one host:port of PermitOpen/PermitListen; bad means a
// fatal error was reported.
func (h *handlerCtx) permitEntry(a string) (entry string, bad bool) {
	var port *string
	entry = a
	if h.op == "permitlisten" && !strings.Contains(a, ":") {
		entry = "*:" + a
		port = &a
	} else {
		_, p, okh := hpdelimOf(h.v, a)
		if !okh {
			h.fatalf("%s missing host", h.kw)
			return "", true
		}
		port = p
	}
	if port == nil || !validPermitPort(h.p.c, *port) {
		h.fatalf("%s bad port number", h.kw)
		return "", true
	}
	return entry, false
}

func (h *handlerCtx) authMethods() bool {
	o := h.o
	first := !o.isSet("authenticationmethods")
	sawAny := false
	var got []string
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		// Until 9.9 "any" is refused after any method already set, even
		// by an earlier line.
		have := len(got)
		if h.v < v99 {
			have = len(o.listOf("authenticationmethods"))
		}
		switch {
		case a == "any":
			if have > 0 {
				return h.fatalf("\"any\" must appear alone in %s", h.kw)
			}
			sawAny = true
		case sawAny:
			return h.fatalf("\"any\" must appear alone in %s", h.kw)
		case !authMethodsValid(a, nil):
			return h.fatalf("invalid %s method list.", h.kw)
		}
		got = append(got, a)
		if h.v < v99 && first && h.active {
			o.appendList("authenticationmethods", h.src, a)
		}
	}
	if len(got) == 0 {
		return h.fatalf("no %s specified", h.kw)
	}
	if h.v >= v99 && first && h.active {
		o.appendList("authenticationmethods", h.src, got...)
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
		host, p, ok := hpdelimOf(h.v, a)
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

// penalties is PerSourcePenalties (9.8 and later).
func (h *handlerCtx) penalties() bool {
	o := h.o
	found := false
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		found = true
		if a == "no" || a == "yes" {
			if len(h.args) > 0 {
				return h.fatalf("keyword %s \"%s\" argument must appear alone.", h.kw, a)
			}
			if h.active && !o.isSet("persourcepenalties.enabled") {
				o.set("persourcepenalties.enabled", map[string]string{"yes": "1", "no": "0"}[a], h.src)
			}
			continue
		}
		key, val, _ := strings.Cut(a, ":")
		switch key {
		case "crash", "authfail", "noauth", "grace-exceeded", "refuseconnection", "max", "min":
		case "invaliduser":
			if h.v < v105 {
				return h.fatalf("unsupported %s keyword %s", h.kw, a)
			}
		case "max-sources4", "max-sources6":
			n, err := atoiErr(val)
			if err != "" {
				return h.fatalf("%s value %s.", h.kw, err)
			}
			val = strconv.Itoa(n)
		case "overflow", "overflow6":
			if val != "deny-all" && val != "permissive" {
				return h.fatalf("unsupported %s keyword %s", h.kw, a)
			}
		default:
			return h.fatalf("unsupported %s keyword %s", h.kw, a)
		}
		if !strings.Contains(a, ":") {
			return h.fatalf("unsupported %s keyword %s", h.kw, a)
		}
		switch key {
		case "max-sources4", "max-sources6", "overflow", "overflow6":
		default:
			if h.v >= v105 {
				d, ok := convtimeDouble(val)
				if !ok {
					return h.fatalf("invalid %s time value.", h.kw)
				}
				val = strconv.FormatFloat(d, 'f', 6, 64)
			} else {
				n, ok := convtimeOf(h.v, val)
				if !ok {
					return h.fatalf("invalid %s time value.", h.kw)
				}
				val = strconv.Itoa(n)
			}
		}
		slot := "persourcepenalties." + key
		if h.active && !o.isSet(slot) {
			o.set(slot, val, h.src)
			o.set("persourcepenalties.enabled", "1", h.src)
		}
	}
	if !found {
		return h.fatalf("no %s specified", h.kw)
	}
	return true
}

func orNone(s string) string {
	if s == "" {
		return "<NONE>"
	}
	return s
}
