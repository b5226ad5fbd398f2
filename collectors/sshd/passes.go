package sshd

import (
	"fmt"
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
	// InvalidUser is sshd's "invalid-user" (9.9): the user does not exist.
	InvalidUser bool `json:"invalid_user,omitempty"`
}

// include handles an Include line (8.7p1 and later).
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
		p.includeFiles(h, pattern, active, incFlags, depth)
		if p.tooDeep || p.stop && p.c.opts.stopAtFatal {
			return true
		}
	}
	if n == 0 {
		h.fatalf("%s missing filename argument", h.kw)
	}
	return true
}

// includeFiles parses the files a pattern names, in glob order.
func (p *pass) includeFiles(h *handlerCtx, pattern string, active *bool, incFlags *int, depth int) {
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
		return
	}
	for _, f := range files {
		lines, err := p.c.load(f)
		if err != nil {
			p.report(bareError(h.src, true, fmt.Sprintf("%s: %v", f, err)))
			continue
		}
		p.parseFile(f, lines, flags, active, depth+1)
		*active = oactive
		if p.tooDeep || p.stop && p.c.opts.stopAtFatal {
			return
		}
	}
}

// match handles a Match line (8.7p1 and later).
func (p *pass) match(h *handlerCtx, active *bool, incFlags *int) bool {
	ci := p.ci
	never := *incFlags&incNeverMatch != 0
	if never {
		ci = nil
	}
	var tk *tokens
	if h.v >= v99 {
		tk = &tokens{args: h.args, argv: true}
	} else {
		raw := h.raw
		tk = &tokens{str: &raw}
	}
	v := p.matchLine(h, tk, ci, p.ci != nil && !never)
	if v < 0 {
		h.fatalf("Bad Match condition")
		*active = false
		return true
	}
	*active = !never && v == 1
	*incFlags &^= incMatchOnly
	if tk.left() {
		p.errorf(false, h.src, "keyword %s extra arguments at end of line", h.kw)
		return false
	}
	return true
}

// tokens are the words of a Match line as match_cfg_line reads them:
// strdelim() on the line until 9.9, the argv_split() words from 9.9.
type tokens struct {
	str  *string
	args []string
	argv bool
}

func (t *tokens) next() (string, bool) {
	if t.argv {
		if len(t.args) == 0 {
			return "", false
		}
		a := t.args[0]
		t.args = t.args[1:]
		return a, true
	}
	tok, rest, ok := strdelim(t.str)
	t.str = rest
	if !ok {
		t.str = nil
		return "", false
	}
	return tok, true
}

// consume marks every word read (sshd's "cp = NULL", argv_consume).
func (t *tokens) consume() { t.str, t.args = nil, nil }

// left reports words match_cfg_line did not read.
func (t *tokens) left() bool {
	if t.argv {
		return len(t.args) > 0
	}
	return t.str != nil && *t.str != ""
}

// matchLine evaluates a Match condition: 1 matched, 0 not, -1 malformed.
// ci is nil for the syntax-only first pass; test is set for sshd -T (from
// 8.2: a criterion the spec does not give does not match; 8.0 refuses it).
func (p *pass) matchLine(h *handlerCtx, tk *tokens, ci *ConnInfo, test bool) int {
	v := h.v
	bare := func(fatal bool, format string, args ...any) {
		p.report(bareError(h.src, fatal, fmt.Sprintf(format, args...)))
	}
	missing := func(criteria, attrib string) int {
		bare(true, "'Match %s' in configuration but '%s' not in connection test specification.", criteria, attrib)
		h.args, h.rest = nil, nil
		tk.consume()
		return 0
	}
	if v < v82 {
		test = false
	}
	result, attributes := 1, 0
	for {
		attrib, ok := tk.next()
		if !ok || attrib == "" && !tk.argv {
			break
		}
		if v >= v87 && strings.HasPrefix(attrib, "#") {
			tk.consume()
			break
		}
		attributes++
		if equalFold(attrib, "all") {
			arg, ok := tk.next()
			comment := v >= v87 && strings.HasPrefix(arg, "#")
			if attributes > 1 || ok && arg != "" && !comment {
				bare(false, "'all' cannot be combined with other Match attributes")
				return -1
			}
			if comment {
				tk.consume()
			}
			return 1
		}
		if v >= v99 && equalFold(attrib, "invalid-user") {
			if ci == nil || !ci.InvalidUser {
				result = 0
			}
			continue
		}
		var arg string
		if name, value, found := strings.Cut(attrib, "="); v >= v100 && found && isMatchAttr(name) {
			attrib, arg = name, value
		} else {
			arg, _ = tk.next()
		}
		if arg == "" || v >= v87 && arg[0] == '#' {
			bare(false, "Missing Match criteria for %s", attrib)
			return -1
		}
		switch strings.ToLower(attrib) {
		case "user", "group":
			if ci == nil || test && ci.User == "" {
				result = 0
				continue
			}
			if ci.User == "" {
				return missing(map[string]string{"user": "User", "group": "Group"}[strings.ToLower(attrib)], "user")
			}
			if strings.EqualFold(attrib, "user") {
				if matchPatternList(ci.User, arg, false) != 1 {
					result = 0
				}
			} else if !p.c.userInGroups(ci.User, arg) {
				result = 0
			}
		case "host":
			if ci == nil || test && ci.Host == "" {
				result = 0
				continue
			}
			if ci.Host == "" {
				return missing("Host", "host")
			}
			if matchPatternList(strings.ToLower(ci.Host), arg, true) != 1 {
				result = 0
			}
		case "address", "localaddress":
			local := equalFold(attrib, "localaddress")
			addr := ""
			if ci != nil {
				addr = ci.Addr
				if local {
					addr = ci.LAddr
				}
			}
			if ci == nil || test && addr == "" {
				if v >= v84 && addrMatchList("", arg) != 0 {
					bare(true, "Invalid Match %s argument '%s' at line %d", strings.ToLower(attrib), arg, h.src.Line)
					h.args, h.rest = nil, nil
					tk.consume()
					return 0
				}
				result = 0
				continue
			}
			if addr == "" {
				if local {
					return missing("LocalAddress", "laddr")
				}
				return missing("Address", "addr")
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
				bare(false, "Invalid LocalPort '%s' on Match line", arg)
				return -1
			}
			if ci == nil {
				result = 0
				continue
			}
			if ci.LPort == 0 {
				return missing("LocalPort", "lport")
			}
			if port != ci.LPort {
				result = 0
			}
		case "rdomain":
			if ci == nil || (test || v < v82) && ci.RDomain == "" {
				result = 0
				continue
			}
			if matchPatternList(ci.RDomain, arg, false) != 1 {
				result = 0
			}
		case "version":
			if v < v100 {
				bare(false, "Unsupported Match attribute %s", attrib)
				return -1
			}
			if matchPatternList("OpenSSH_"+p.c.prof.Release, arg, false) != 1 {
				result = 0
			}
		default:
			bare(false, "Unsupported Match attribute %s", attrib)
			return -1
		}
	}
	if attributes == 0 {
		bare(false, "One or more attributes required for Match")
		return -1
	}
	return result
}

// isMatchAttr reports the criteria 10.0 also takes as "name=value".
func isMatchAttr(name string) bool {
	switch strings.ToLower(name) {
	case "user", "group", "host", "address", "localaddress", "localport", "rdomain", "version":
		return true
	}
	return false
}
