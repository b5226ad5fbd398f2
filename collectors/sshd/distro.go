package sshd

import "fmt"

// What distributions change in sshd -T, on top of the upstream release they
// ship. Debian's (and Ubuntu's, which takes Debian's package) is checked
// against the real Debian 12 sshd by TestOracleCorpus; the rest is modelled
// from the distributions' documented patches and paths and is an
// approximation (docs/collectors/sshd.md says what is).

// gssKexDefault is the GSSAPIKexAlgorithms default of Debian's GSSAPI key
// exchange patch (Debian 12, checked against its sshd -T).
var gssKexDefault = split("gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-")

// gssKexNames are the GSSAPI key exchange methods the patch knows.
var gssKexNames = split("gss-gex-sha1-,gss-group1-sha1-,gss-group14-sha1-,gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-")

// withDistro applies a distribution's patches and paths.
func (p *profile) withDistro(d distro) error {
	switch d {
	case distroUpstream:
		return nil
	case distroDebian:
		p.gssapiKex(gssKexDefault)
		// DebianBanner (yes/no) is accepted, never printed.
		p.keywords["debianbanner"] = keyword{op: opDebian, flags: cfgGlobal}
		// Debian's log level table names QUIET "SILENT" first.
		p.logLevels = append([]string{"SILENT"}, p.logLevels...)
		p.paths("/usr/lib/openssh")
		// Debian keeps the old IPQoS defaults (its "Restore TOS IPQoS
		// defaults" patch).
		p.defaults["ipqos"] = "lowdelay throughput"
		if p.v == v92 {
			// Debian 12's 9.2p1 knows sntrup761x25519-sha512, the name
			// upstream gave the @openssh.com method in 9.9, and offers it
			// first.
			const n = "sntrup761x25519-sha512"
			p.all["kexalgorithms"] = insertBefore(p.all["kexalgorithms"], n+"@openssh.com", n)
			p.def["kexalgorithms"] = insertBefore(p.def["kexalgorithms"], n+"@openssh.com", n)
		}
	case distroRedHat:
		// RHEL's patches: the GSSAPI key exchange (with its own default
		// list), GSSAPIEnablek5users and KerberosUseKuserok.
		p.gssapiKex(split("gss-curve25519-sha256-,gss-nistp256-sha256-,gss-group14-sha256-,gss-group16-sha512-"))
		if p.build.gssapi {
			p.addKeyword("gssapienablek5users", cfgAll, "no")
		}
		if p.build.krb5 {
			p.addKeyword("kerberosusekuserok", cfgAll, "yes")
		}
		p.defaults["pidfile"] = "/var/run/sshd.pid"
		p.paths("/usr/libexec/openssh")
		if p.v >= v87 && !p.supports("requiredrsasize") {
			// RHEL 9 backported RequiredRSASize to 8.7p1; its crypto
			// policy sets it.
			p.addKeyword("requiredrsasize", cfgAll, "1024")
		}
	case distroAlpine:
		p.paths("/usr/lib/ssh")
	default:
		return fmt.Errorf("unknown distribution patches %q", d)
	}
	return nil
}

// gssapiKex adds the keywords of the GSSAPI key exchange patch that Debian
// and RHEL carry, when the build has GSSAPI.
func (p *profile) gssapiKex(def []string) {
	if !p.build.gssapi {
		return
	}
	p.addKeyword("gssapikeyexchange", cfgGlobal, "no")
	p.addKeyword("gssapistorecredentialsonrekey", cfgGlobal, "no")
	p.addKeyword("gssapistrictacceptorcheck", cfgGlobal, "yes")
	p.addKeyword("gssapikexalgorithms", cfgGlobal, "")
	p.keywords["gssapicleanupcreds"] = keyword{op: "gssapicleanupcredentials", flags: cfgGlobal}
	p.keywords["gssapiusesessioncredcache"] = keyword{op: opUnsupported, flags: cfgGlobal}
	p.def["gssapikexalgorithms"] = def
	p.gss = gssKexNames
}

// addKeyword adds a printed keyword with its default.
func (p *profile) addKeyword(name string, flags int, def string) {
	p.keywords[name] = keyword{op: name, flags: flags}
	p.printed[name] = true
	if def != "" {
		p.defaults[name] = def
	}
}

// paths sets where the distribution installs sshd's helpers (printed from
// 9.8: sshd-session, 10.0: sshd-auth).
func (p *profile) paths(libexec string) {
	if p.printed["sshdsessionpath"] {
		p.defaults["sshdsessionpath"] = libexec + "/sshd-session"
	}
	if p.printed["sshdauthpath"] {
		p.defaults["sshdauthpath"] = libexec + "/sshd-auth"
	}
}

// insertBefore returns list with name inserted before the entry at.
func insertBefore(list []string, at, name string) []string {
	out := make([]string, 0, len(list)+1)
	for _, n := range list {
		if n == at {
			out = append(out, name)
		}
		out = append(out, n)
	}
	return out
}
