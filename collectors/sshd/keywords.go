package sshd

// Keyword scope flags, as sshd's SSHCFG_* values.
const (
	cfgGlobal = 1 << iota // allowed in the main section
	cfgMatch              // allowed inside a Match block
	cfgAll    = cfgGlobal | cfgMatch
)

// keyword is one entry of sshd's keyword table: what a configuration word
// means (op) and where it may appear.
type keyword struct {
	op    string // handler name; for most, the keyword sshd -T prints
	flags int
}

// Handler names that are not printed keywords.
const (
	opDeprecated  = "#deprecated"
	opUnsupported = "#unsupported"
	opIgnore      = "#ignore"
	opInclude     = "include"
	opMatch       = "match"
	opDebian      = "#debianbanner"
)

// multistate maps accepted words (compared case-insensitively) to a value;
// the printed name of a value is the first word with that value, as sshd's
// fmt_multistate_int() does (so "prohibit-password" prints as
// "without-password" in OpenSSH 9.2).
type multistate []struct {
	word string
	val  int
}

func (m multistate) parse(s string) (int, bool) {
	for _, e := range m {
		if equalFold(e.word, s) {
			return e.val, true
		}
	}
	return -1, false
}

func (m multistate) name(v int) string {
	for _, e := range m {
		if e.val == v {
			return e.word
		}
	}
	return "UNKNOWN"
}

var (
	msFlag        = multistate{{"yes", 1}, {"no", 0}}
	msIgnoreRhost = multistate{{"yes", 1}, {"no", 0}, {"shosts-only", 2}}
	msAddrFamily  = multistate{{"inet", 4}, {"inet6", 6}, {"any", 0}}
	msRootLogin   = multistate{{"without-password", 3}, {"prohibit-password", 3}, {"forced-commands-only", 1}, {"yes", 2}, {"no", 0}}
	// 10.5 lists prohibit-password first, and so prints it.
	msRootLogin105 = multistate{{"prohibit-password", 3}, {"without-password", 3}, {"forced-commands-only", 1}, {"yes", 2}, {"no", 0}}
	msCompression  = multistate{{"yes", 2}, {"delayed", 2}, {"no", 0}}
	msGateway      = multistate{{"clientspecified", 2}, {"yes", 1}, {"no", 0}}
	msTCPFwd       = multistate{{"yes", 3}, {"all", 3}, {"no", 0}, {"remote", 2}, {"local", 1}}
)

// multistates gives the table of every keyword parsed as a multistate the
// same way in every release.
var multistates = map[string]multistate{
	"addressfamily":              msAddrFamily,
	"compression":                msCompression,
	"gatewayports":               msGateway,
	"allowtcpforwarding":         msTCPFwd,
	"allowstreamlocalforwarding": msTCPFwd,
}

// multistate returns the table of a keyword parsed as a multistate in this
// release: PermitRootLogin's printed name changed in 10.5, IgnoreRhosts was
// yes/no until 8.4.
func (c *config) multistate(op string) (multistate, bool) {
	switch op {
	case "permitrootlogin":
		return c.prof.rootLogin, true
	case "ignorerhosts":
		if c.v < v84 {
			return msFlag, true
		}
		return msIgnoreRhost, true
	}
	ms, ok := multistates[op]
	return ms, ok
}

// flagKeywords are the yes/no keywords.
var flagKeywords = map[string]bool{
	"usepam": true, "ignoreuserknownhosts": true, "hostbasedauthentication": true,
	"hostbasedusesnamefrompacketonly": true, "pubkeyauthentication": true,
	"kerberosauthentication": true, "kerberosorlocalpasswd": true, "kerberosticketcleanup": true,
	"gssapiauthentication": true, "gssapicleanupcredentials": true, "gssapistrictacceptorcheck": true,
	"gssapikeyexchange": true, "gssapistorecredentialsonrekey": true,
	"passwordauthentication": true, "kbdinteractiveauthentication": true, "printmotd": true,
	"printlastlog": true, "x11forwarding": true, "x11uselocalhost": true, "permittty": true,
	"permituserrc": true, "strictmodes": true, "tcpkeepalive": true, "permitemptypasswords": true,
	"usedns": true, "allowagentforwarding": true, "disableforwarding": true,
	"streamlocalbindunlink": true, "exposeauthinfo": true, "refuseconnection": true,
	"gssapidelegatecredentials": true, "gssapienablek5users": true, "kerberosusekuserok": true,
	"challengeresponseauthentication": true, "kerberosgetafstoken": true,
}

// intKeywords are parsed with atoi_err (0..INT_MAX); timeKeywords with
// convtime.
var (
	intKeywords  = map[string]bool{"x11displayoffset": true, "maxauthtries": true, "maxsessions": true, "clientalivecountmax": true, "requiredrsasize": true}
	timeKeywords = map[string]bool{"logingracetime": true, "clientaliveinterval": true}
)

// matchCopied are the options the second pass copies from matching Match
// blocks over the global ones in release v (sshd's copy_set_server_options
// and COPY_MATCH_STRING_OPTS). Others set inside a Match block have no
// effect. Subsystems (9.6) are copied together: see evaluate.
func matchCopied(v int) []string {
	out := []string{
		"passwordauthentication", "gssapiauthentication", "pubkeyauthentication",
		"kerberosauthentication", "hostbasedauthentication", "hostbasedusesnamefrompacketonly",
		"kbdinteractiveauthentication", "permitrootlogin", "permitemptypasswords",
		"allowtcpforwarding", "allowstreamlocalforwarding", "allowagentforwarding", "disableforwarding",
		"exposeauthinfo", "permittunnel", "gatewayports", "streamlocalbindunlink", "x11displayoffset",
		"x11forwarding", "x11uselocalhost", "permittty", "permituserrc", "maxsessions", "maxauthtries",
		"clientalivecountmax", "clientaliveinterval", "ipqos", "rekeylimit.limit", "rekeylimit.interval",
		"loglevel", "streamlocalbindmask",
		// strings
		"banner", "trustedusercakeys", "revokedkeys", "authorizedkeyscommand", "authorizedkeyscommanduser",
		"authorizedprincipalsfile", "authorizedprincipalscommand", "authorizedprincipalscommanduser",
		"hostbasedacceptedalgorithms", "hostbasedacceptedkeytypes", "pubkeyacceptedalgorithms",
		"pubkeyacceptedkeytypes", "casignaturealgorithms", "rdomain", "permituserenvironment.allowlist",
		// lists
		"authorizedkeysfile", "allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv",
		"authenticationmethods", "permitopen", "permitlisten",
		// cleared by "none" after copying
		"forcecommand", "chrootdirectory",
	}
	if v >= v82 {
		out = append(out, "pubkeyauthoptions")
	}
	if v >= v84 {
		out = append(out, "ignorerhosts")
	}
	if v >= v87 {
		out = append(out, "logverbose", "setenv")
	}
	if v >= v92 {
		out = append(out, "channeltimeout", "requiredrsasize", "unusedconnectiontimeout")
	}
	if v >= v99 {
		out = append(out, "refuseconnection")
		if v < v105 {
			out = append(out, "pamservicename")
		}
	}
	return out
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
