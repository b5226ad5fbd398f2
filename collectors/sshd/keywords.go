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

// keywords9 is the keyword table of OpenSSH 9.x as Debian builds it (PAM,
// Kerberos and GSSAPI with key exchange, no AFS, no routing domains). Keys
// are lower case; sshd compares case-insensitively.
var keywords9 = map[string]keyword{
	"usepam":                          {"usepam", cfgGlobal},
	"pamauthenticationviakbdint":      {opDeprecated, cfgGlobal},
	"port":                            {"port", cfgGlobal},
	"hostkey":                         {"hostkey", cfgGlobal},
	"hostdsakey":                      {"hostkey", cfgGlobal},
	"hostkeyagent":                    {"hostkeyagent", cfgGlobal},
	"pidfile":                         {"pidfile", cfgGlobal},
	"modulifile":                      {"modulifile", cfgGlobal},
	"serverkeybits":                   {opDeprecated, cfgGlobal},
	"logingracetime":                  {"logingracetime", cfgGlobal},
	"keyregenerationinterval":         {opDeprecated, cfgGlobal},
	"permitrootlogin":                 {"permitrootlogin", cfgAll},
	"syslogfacility":                  {"syslogfacility", cfgGlobal},
	"loglevel":                        {"loglevel", cfgAll},
	"logverbose":                      {"logverbose", cfgAll},
	"rhostsauthentication":            {opDeprecated, cfgGlobal},
	"rhostsrsaauthentication":         {opDeprecated, cfgAll},
	"hostbasedauthentication":         {"hostbasedauthentication", cfgAll},
	"hostbasedusesnamefrompacketonly": {"hostbasedusesnamefrompacketonly", cfgAll},
	"hostbasedacceptedalgorithms":     {"hostbasedacceptedalgorithms", cfgAll},
	"hostbasedacceptedkeytypes":       {"hostbasedacceptedalgorithms", cfgAll},
	"hostkeyalgorithms":               {"hostkeyalgorithms", cfgGlobal},
	"rsaauthentication":               {opDeprecated, cfgAll},
	"pubkeyauthentication":            {"pubkeyauthentication", cfgAll},
	"pubkeyacceptedalgorithms":        {"pubkeyacceptedalgorithms", cfgAll},
	"pubkeyacceptedkeytypes":          {"pubkeyacceptedalgorithms", cfgAll},
	"pubkeyauthoptions":               {"pubkeyauthoptions", cfgAll},
	"dsaauthentication":               {"pubkeyauthentication", cfgGlobal},
	"kerberosauthentication":          {"kerberosauthentication", cfgAll},
	"kerberosorlocalpasswd":           {"kerberosorlocalpasswd", cfgGlobal},
	"kerberosticketcleanup":           {"kerberosticketcleanup", cfgGlobal},
	"kerberosgetafstoken":             {opUnsupported, cfgGlobal},
	"kerberostgtpassing":              {opUnsupported, cfgGlobal},
	"afstokenpassing":                 {opUnsupported, cfgGlobal},
	"gssapiauthentication":            {"gssapiauthentication", cfgAll},
	"gssapicleanupcredentials":        {"gssapicleanupcredentials", cfgGlobal},
	"gssapicleanupcreds":              {"gssapicleanupcredentials", cfgGlobal},
	"gssapikeyexchange":               {"gssapikeyexchange", cfgGlobal},
	"gssapistrictacceptorcheck":       {"gssapistrictacceptorcheck", cfgGlobal},
	"gssapistorecredentialsonrekey":   {"gssapistorecredentialsonrekey", cfgGlobal},
	"gssapikexalgorithms":             {"gssapikexalgorithms", cfgGlobal},
	"gssapiusesessioncredcache":       {opUnsupported, cfgGlobal},
	"passwordauthentication":          {"passwordauthentication", cfgAll},
	"kbdinteractiveauthentication":    {"kbdinteractiveauthentication", cfgAll},
	"challengeresponseauthentication": {"kbdinteractiveauthentication", cfgAll},
	"skeyauthentication":              {"kbdinteractiveauthentication", cfgAll},
	"checkmail":                       {opDeprecated, cfgGlobal},
	"listenaddress":                   {"listenaddress", cfgGlobal},
	"addressfamily":                   {"addressfamily", cfgGlobal},
	"printmotd":                       {"printmotd", cfgGlobal},
	"printlastlog":                    {"printlastlog", cfgGlobal},
	"ignorerhosts":                    {"ignorerhosts", cfgAll},
	"ignoreuserknownhosts":            {"ignoreuserknownhosts", cfgGlobal},
	"x11forwarding":                   {"x11forwarding", cfgAll},
	"x11displayoffset":                {"x11displayoffset", cfgAll},
	"x11uselocalhost":                 {"x11uselocalhost", cfgAll},
	"xauthlocation":                   {"xauthlocation", cfgGlobal},
	"strictmodes":                     {"strictmodes", cfgGlobal},
	"permitemptypasswords":            {"permitemptypasswords", cfgAll},
	"permituserenvironment":           {"permituserenvironment", cfgGlobal},
	"uselogin":                        {opDeprecated, cfgGlobal},
	"compression":                     {"compression", cfgGlobal},
	"rekeylimit":                      {"rekeylimit", cfgAll},
	"tcpkeepalive":                    {"tcpkeepalive", cfgGlobal},
	"keepalive":                       {"tcpkeepalive", cfgGlobal},
	"allowtcpforwarding":              {"allowtcpforwarding", cfgAll},
	"allowagentforwarding":            {"allowagentforwarding", cfgAll},
	"allowusers":                      {"allowusers", cfgAll},
	"denyusers":                       {"denyusers", cfgAll},
	"allowgroups":                     {"allowgroups", cfgAll},
	"denygroups":                      {"denygroups", cfgAll},
	"ciphers":                         {"ciphers", cfgGlobal},
	"macs":                            {"macs", cfgGlobal},
	"protocol":                        {opIgnore, cfgGlobal},
	"gatewayports":                    {"gatewayports", cfgAll},
	"subsystem":                       {"subsystem", cfgGlobal},
	"maxstartups":                     {"maxstartups", cfgGlobal},
	"persourcemaxstartups":            {"persourcemaxstartups", cfgGlobal},
	"persourcenetblocksize":           {"persourcenetblocksize", cfgGlobal},
	"maxauthtries":                    {"maxauthtries", cfgAll},
	"maxsessions":                     {"maxsessions", cfgAll},
	"banner":                          {"banner", cfgAll},
	"usedns":                          {"usedns", cfgGlobal},
	"verifyreversemapping":            {opDeprecated, cfgGlobal},
	"reversemappingcheck":             {opDeprecated, cfgGlobal},
	"clientaliveinterval":             {"clientaliveinterval", cfgAll},
	"clientalivecountmax":             {"clientalivecountmax", cfgAll},
	"authorizedkeysfile":              {"authorizedkeysfile", cfgAll},
	"authorizedkeysfile2":             {opDeprecated, cfgAll},
	"useprivilegeseparation":          {opDeprecated, cfgGlobal},
	"acceptenv":                       {"acceptenv", cfgAll},
	"setenv":                          {"setenv", cfgAll},
	"permittunnel":                    {"permittunnel", cfgAll},
	"permittty":                       {"permittty", cfgAll},
	"permituserrc":                    {"permituserrc", cfgAll},
	"match":                           {opMatch, cfgAll},
	"permitopen":                      {"permitopen", cfgAll},
	"permitlisten":                    {"permitlisten", cfgAll},
	"forcecommand":                    {"forcecommand", cfgAll},
	"chrootdirectory":                 {"chrootdirectory", cfgAll},
	"hostcertificate":                 {"hostcertificate", cfgGlobal},
	"revokedkeys":                     {"revokedkeys", cfgAll},
	"trustedusercakeys":               {"trustedusercakeys", cfgAll},
	"authorizedprincipalsfile":        {"authorizedprincipalsfile", cfgAll},
	"kexalgorithms":                   {"kexalgorithms", cfgGlobal},
	"include":                         {opInclude, cfgAll},
	"ipqos":                           {"ipqos", cfgAll},
	"authorizedkeyscommand":           {"authorizedkeyscommand", cfgAll},
	"authorizedkeyscommanduser":       {"authorizedkeyscommanduser", cfgAll},
	"authorizedprincipalscommand":     {"authorizedprincipalscommand", cfgAll},
	"authorizedprincipalscommanduser": {"authorizedprincipalscommanduser", cfgAll},
	"versionaddendum":                 {"versionaddendum", cfgGlobal},
	"authenticationmethods":           {"authenticationmethods", cfgAll},
	"streamlocalbindmask":             {"streamlocalbindmask", cfgAll},
	"streamlocalbindunlink":           {"streamlocalbindunlink", cfgAll},
	"allowstreamlocalforwarding":      {"allowstreamlocalforwarding", cfgAll},
	"fingerprinthash":                 {"fingerprinthash", cfgGlobal},
	"disableforwarding":               {"disableforwarding", cfgAll},
	"exposeauthinfo":                  {"exposeauthinfo", cfgAll},
	"rdomain":                         {"rdomain", cfgAll},
	"casignaturealgorithms":           {"casignaturealgorithms", cfgAll},
	"securitykeyprovider":             {"securitykeyprovider", cfgGlobal},
	"requiredrsasize":                 {"requiredrsasize", cfgAll},
	"channeltimeout":                  {"channeltimeout", cfgAll},
	"unusedconnectiontimeout":         {"unusedconnectiontimeout", cfgAll},
	"debianbanner":                    {opDebian, cfgGlobal},
}

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
	msCompression = multistate{{"yes", 2}, {"delayed", 2}, {"no", 0}}
	msGateway     = multistate{{"clientspecified", 2}, {"yes", 1}, {"no", 0}}
	msTCPFwd      = multistate{{"yes", 3}, {"all", 3}, {"no", 0}, {"remote", 2}, {"local", 1}}
)

// multistates gives the table of every keyword parsed as a multistate.
var multistates = map[string]multistate{
	"addressfamily":              msAddrFamily,
	"permitrootlogin":            msRootLogin,
	"ignorerhosts":               msIgnoreRhost,
	"compression":                msCompression,
	"gatewayports":               msGateway,
	"allowtcpforwarding":         msTCPFwd,
	"allowstreamlocalforwarding": msTCPFwd,
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
	"streamlocalbindunlink": true, "exposeauthinfo": true,
}

// intKeywords are parsed with atoi_err (0..INT_MAX); timeKeywords with
// convtime.
var (
	intKeywords  = map[string]bool{"x11displayoffset": true, "maxauthtries": true, "maxsessions": true, "clientalivecountmax": true, "requiredrsasize": true}
	timeKeywords = map[string]bool{"logingracetime": true, "clientaliveinterval": true}
)

// matchCopied are the options the second pass copies from matching Match
// blocks over the global ones (sshd's copy_set_server_options). Others set
// inside a Match block have no effect.
var matchCopied = []string{
	"passwordauthentication", "gssapiauthentication", "pubkeyauthentication", "pubkeyauthoptions",
	"kerberosauthentication", "hostbasedauthentication", "hostbasedusesnamefrompacketonly",
	"kbdinteractiveauthentication", "permitrootlogin", "permitemptypasswords", "ignorerhosts",
	"allowtcpforwarding", "allowstreamlocalforwarding", "allowagentforwarding", "disableforwarding",
	"exposeauthinfo", "permittunnel", "gatewayports", "streamlocalbindunlink", "x11displayoffset",
	"x11forwarding", "x11uselocalhost", "permittty", "permituserrc", "maxsessions", "maxauthtries",
	"clientalivecountmax", "clientaliveinterval", "ipqos", "rekeylimit.limit", "rekeylimit.interval",
	"loglevel", "requiredrsasize", "unusedconnectiontimeout", "streamlocalbindmask",
	// strings
	"banner", "trustedusercakeys", "revokedkeys", "authorizedkeyscommand", "authorizedkeyscommanduser",
	"authorizedprincipalsfile", "authorizedprincipalscommand", "authorizedprincipalscommanduser",
	"hostbasedacceptedalgorithms", "pubkeyacceptedalgorithms", "casignaturealgorithms", "rdomain",
	"permituserenvironment.allowlist",
	// lists
	"authorizedkeysfile", "allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv",
	"setenv", "authenticationmethods", "permitopen", "permitlisten", "channeltimeout", "logverbose",
	// cleared by "none" after copying
	"forcecommand", "chrootdirectory",
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
