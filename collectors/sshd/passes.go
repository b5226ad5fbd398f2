package sshd

import (
	"strings"
)

// ConnInfo is a connection specification, as `sshd -T -C` takes it. Empty
// fields are "not given"; LPort 0 is "not given".
type ConnInfo struct {
	User    string `json:"user,omitempty"`
	Host    string `json:"host,omitempty"`
	Addr    string `json:"addr,omitempty"`
	LAddr   string `json:"laddr,omitempty"`
	LPort   int    `json:"lport,omitempty"`
	RDomain string `json:"rdomain,omitempty"`
}

// include handles an Include line.
func (p *pass) include(h *handlerCtx, active *bool, incFlags *int, depth int) bool {
	n := 0
	for {
		a, ok := h.next()
		if !ok {
			break
		}
		if a == "" {
			return h.errorf("keyword %s empty argument", h.kw)
		}
		n++
		pattern := a
		if a[0] != '/' && a[0] != '~' {
			pattern = sshDir + "/" + a
		}
		oactive := *active
		flags := incNeverMatch
		switch {
		case *incFlags&incMatchOnly != 0:
			flags = incMatchOnly
		case oactive:
			flags = 0
		}
		files, err := p.c.glob(pattern)
		if err != nil {
			h.fatalf("include \"%s\" glob failed", pattern)
			return true
		}
		for _, f := range files {
			lines, err := p.c.load(f)
			if err != nil {
				p.errorf(true, h.src, "%s: %v", f, err)
				continue
			}
			p.parseFile(f, lines, flags, active, depth+1)
			*active = oactive
			if p.tooDeep || p.stop && p.c.stopAtFatal {
				return true
			}
		}
	}
	if n == 0 {
		h.fatalf("%s missing filename argument", h.kw)
	}
	return true
}

// match handles a Match line (match_cfg_line).
func (p *pass) match(h *handlerCtx, active *bool, incFlags *int) bool {
	ci := p.ci
	never := *incFlags&incNeverMatch != 0
	if never {
		ci = nil
	}
	v := p.matchLine(h, ci, p.ci != nil && !never)
	if v < 0 {
		h.fatalf("Bad Match condition")
		*active = false
		return true
	}
	*active = !never && v == 1
	*incFlags &^= incMatchOnly
	h.args = nil
	return true
}

// matchLine evaluates a Match condition: 1 matched, 0 not, -1 malformed.
// ci is nil for the syntax-only first pass; test is set for -C specs.
func (p *pass) matchLine(h *handlerCtx, ci *ConnInfo, test bool) int {
	rest := &h.raw
	result, attributes := 1, 0
	for {
		attrib, r, ok := strdelim(rest)
		if !ok || attrib == "" {
			break
		}
		rest = r
		if attrib[0] == '#' {
			break
		}
		attributes++
		if equalFold(attrib, "all") {
			arg, _, _ := strdelim(rest)
			if attributes > 1 || (rest != nil && arg != "" && arg[0] != '#') {
				h.p.errorf(false, h.src, "'all' cannot be combined with other Match attributes")
				return -1
			}
			return 1
		}
		arg, r2, _ := strdelim(rest)
		rest = r2
		if arg == "" || arg[0] == '#' {
			h.p.errorf(false, h.src, "Missing Match criteria for %s", attrib)
			return -1
		}
		switch strings.ToLower(attrib) {
		case "user":
			if ci == nil || ci.User == "" {
				result = 0
				continue
			}
			if matchPatternList(ci.User, arg, false) != 1 {
				result = 0
			}
		case "group":
			if ci == nil || ci.User == "" {
				result = 0
				continue
			}
			if !p.c.userInGroups(ci.User, arg) {
				result = 0
			}
		case "host":
			if ci == nil || ci.Host == "" {
				result = 0
				continue
			}
			if matchPatternList(strings.ToLower(ci.Host), arg, true) != 1 {
				result = 0
			}
		case "address", "localaddress":
			addr := ""
			if ci != nil {
				addr = ci.Addr
				if equalFold(attrib, "localaddress") {
					addr = ci.LAddr
				}
			}
			if addr == "" {
				if addrMatchList("", arg) != 0 {
					h.fatalf("Invalid Match %s argument '%s' at line %d", strings.ToLower(attrib), arg, h.src.Line)
					return 0
				}
				result = 0
				continue
			}
			switch addrMatchList(addr, arg) {
			case 1:
			case -2:
				return -1
			default:
				result = 0
			}
		case "localport":
			port := p.c.a2port(arg)
			if port == -1 {
				h.p.errorf(false, h.src, "Invalid LocalPort '%s' on Match line", arg)
				return -1
			}
			if ci == nil {
				result = 0
				continue
			}
			if ci.LPort == 0 {
				h.fatalf("'Match LocalPort' in configuration but 'lport' not in connection test specification.")
				return 0
			}
			if port != ci.LPort {
				result = 0
			}
		case "rdomain":
			if ci == nil || ci.RDomain == "" {
				result = 0
				continue
			}
			if matchPatternList(ci.RDomain, arg, false) != 1 {
				result = 0
			}
		default:
			h.p.errorf(false, h.src, "Unsupported Match attribute %s", attrib)
			return -1
		}
		if rest == nil {
			break
		}
	}
	if attributes == 0 {
		h.p.errorf(false, h.src, "One or more attributes required for Match")
		return -1
	}
	return result
}
