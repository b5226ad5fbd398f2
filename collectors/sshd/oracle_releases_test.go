//go:build sshdoracle

package sshd

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests run only with -tags sshdoracle, from
// collectors/sshd/oracle/sshd-oracles.sh (make sshd-oracles, make
// sshd-oracles-live), against OpenSSH builds that script made.

var (
	flagBuilds   = flag.String("sshd-builds", "/tmp/openssh-build", "directory of the OpenSSH builds made by sshd-oracles.sh")
	flagReleases = flag.String("sshd-releases", strings.Join(goldenBuilds, " "), "the builds to use, space-separated")
)

// buildOracle is the oracle of one build: its sshd and ssh.
func buildOracle(t *testing.T, build string) (*oracle, string) {
	t.Helper()
	requireOracleEnv(t)
	if err := prepareOracleHost(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(*flagBuilds, build)
	sshd := filepath.Join(dir, "src", "sshd")
	if _, err := os.Stat(sshd); err != nil {
		t.Fatalf("%v: build it with collectors/sshd/oracle/sshd-oracles.sh build", err)
	}
	return &oracle{sshd: sshd}, dir
}

func builds() []string { return strings.Fields(*flagReleases) }

// TestRecordReleases writes testdata/releases/BUILD (the goldens of every
// corpus case and the build's tables) and, for the full builds, the
// embedded tables releases/RELEASE.txt.
func TestRecordReleases(t *testing.T) {
	cases := loadCorpus(t)
	for _, build := range builds() {
		t.Run(build, func(t *testing.T) {
			o, dir := buildOracle(t, build)
			out := filepath.Join("testdata/releases", build)
			if err := os.RemoveAll(out); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			defaults := o.runAll(t, writeTree(t, nil), []string{""}, false)[0]
			if defaults.rc != 0 {
				t.Fatalf("sshd -T of an empty configuration failed: %s", defaults.stderr)
			}
			write(t, filepath.Join(out, "defaults.txt"), defaults.stdout)
			tables := recordTables(t, o, dir, defaults.stdout)
			write(t, filepath.Join(out, "tables.txt"), tables)
			if !strings.Contains(build, "-") {
				write(t, filepath.Join("releases", build+".txt"), tables)
			}
			for _, c := range cases {
				runs := o.runAll(t, writeTree(t, c.files), c.allSpecs(), c.ownKeys)
				write(t, filepath.Join(out, c.name+".txt"), encodeGolden(c.name, build, defaults.stdout, runs))
			}
		})
	}
}

// TestLiveReleases compares the collector with every build's sshd -T
// directly, for every corpus case.
func TestLiveReleases(t *testing.T) {
	cases := loadCorpus(t)
	for _, build := range builds() {
		t.Run(build, func(t *testing.T) {
			o, _ := buildOracle(t, build)
			prof := buildProfile(t, build)
			for _, c := range cases {
				compareCase(t, o, c, prof)
			}
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordTables asks the build what the collector's tables hold: its
// version, the sshd -T defaults, the default host keys, the algorithms it
// supports and how it takes every keyword any modelled release knows.
func recordTables(t *testing.T, o *oracle, dir, defaults string) string {
	t.Helper()
	var b strings.Builder
	info, _ := os.ReadFile(filepath.Join(dir, "build.txt"))
	for _, l := range nonEmptyLines(string(info)) {
		fmt.Fprintf(&b, "# %s\n", l)
	}
	b.WriteString("# recorded by collectors/sshd/oracle/sshd-oracles.sh from this build's sshd -T and ssh -Q; do not edit\n")
	ssh := filepath.Join(dir, "src", "ssh")
	version, err := exec.Command(ssh, "-V").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh -V: %v: %s", err, version)
	}
	section(&b, "version", strings.TrimSpace(string(version)))
	section(&b, "defaults", strings.TrimSpace(defaults))
	for _, q := range []string{"cipher", "mac", "kex"} {
		out, err := exec.Command(ssh, "-Q", q).Output()
		if err != nil {
			t.Fatalf("ssh -Q %s: %v", q, err)
		}
		section(&b, q, strings.TrimSpace(string(out)))
	}
	// The key and signature algorithms sshd knows, in its order: "*"
	// matches all of them.
	root := writeTree(t, map[string]string{"etc/ssh/sshd_config": "HostKeyAlgorithms *\nCASignatureAlgorithms *\n"})
	all := o.runAll(t, root, []string{""}, false)[0]
	if all.rc != 0 {
		t.Fatalf("sshd -T with HostKeyAlgorithms *: %s", all.stderr)
	}
	d := parseDumpLines(all.stdout)
	section(&b, "key", strings.ReplaceAll(value(d, "hostkeyalgorithms"), ",", "\n"))
	section(&b, "sig", strings.ReplaceAll(value(d, "casignaturealgorithms"), ",", "\n"))
	// The default host keys: sshd prints them only when it was not given -h.
	root = writeTree(t, map[string]string{"etc/ssh/ssh_host_ed25519_key": "!key ed25519"})
	own := o.runAll(t, root, []string{""}, true)[0]
	if own.rc != 0 {
		t.Fatalf("sshd -T with its default host keys: %s", own.stderr)
	}
	var keys []string
	for _, l := range parseDumpLines(own.stdout)["hostkey"] {
		_, v, _ := strings.Cut(l, " ")
		keys = append(keys, v)
	}
	section(&b, "hostkeys", strings.Join(keys, "\n"))
	section(&b, "keywords", probeKeywords(t, o))
	return b.String()
}

func value(d dump, k string) string {
	if len(d[k]) == 0 {
		return ""
	}
	_, v, _ := strings.Cut(d[k][0], " ")
	return v
}

func section(b *strings.Builder, name, body string) {
	fmt.Fprintf(b, "[%s]\n%s\n", name, body)
}

// probeKeywords runs sshd -T on "KEYWORD x" for every keyword any modelled
// release or distribution knows, alone and inside a Match block: sshd's
// complaint (or none) says whether the build knows it and where.
func probeKeywords(t *testing.T, o *oracle) string {
	t.Helper()
	names := slices.Sorted(func(yield func(string) bool) {
		for _, n := range probeCandidates() {
			if !yield(n) {
				return
			}
		}
	})
	names = slices.Compact(names)
	files := map[string]string{}
	for i, n := range names {
		files[fmt.Sprintf("etc/ssh/g%d", i)] = n + " x\n"
		files[fmt.Sprintf("etc/ssh/m%d", i)] = "Match User nobody\n" + n + " x\n"
	}
	root := writeTree(t, files)
	var lines []string
	for i, n := range names {
		g := o.runFile(t, root, fmt.Sprintf("/etc/ssh/g%d", i))
		m := o.runFile(t, root, fmt.Sprintf("/etc/ssh/m%d", i))
		status := "known"
		switch {
		case strings.Contains(g, "Bad configuration option: "+n):
			status = "unknown"
		case strings.Contains(g, "Deprecated option "+n):
			status = "deprecated"
		case strings.Contains(g, "Unsupported option "+n):
			status = "unsupported"
		}
		scope := "all"
		if strings.Contains(m, "is not allowed within a Match block") {
			scope = "global"
		}
		if status == "unknown" {
			scope = "-"
		}
		lines = append(lines, n+" "+status+" "+scope)
	}
	return strings.Join(lines, "\n")
}

// runFile runs sshd -T -f FILE once in the tree at root and returns stderr.
func (o *oracle) runFile(t *testing.T, root, file string) string {
	t.Helper()
	script := fmt.Sprintf("mount --bind %q /etc/ssh || exit 99\ncd /\n%s -T -f %s -h %s >/dev/null\n", filepath.Join(root, "etc/ssh"), o.sshd, file, oracleHostKey)
	out, _ := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
	return string(out)
}

// modelledKeywords are every keyword a modelled release or distribution
// patch knows. The oracle script asks each build how it takes each of them
// (releases/RELEASE.txt, [keywords]); the collector's keyword table of a
// release is that answer.
var modelledKeywords = []string{
	"acceptenv", "addressfamily", "afstokenpassing", "allowagentforwarding", "allowgroups",
	"allowstreamlocalforwarding", "allowtcpforwarding", "allowusers", "authenticationmethods",
	"authorizedkeyscommand", "authorizedkeyscommanduser", "authorizedkeysfile", "authorizedkeysfile2",
	"authorizedprincipalscommand", "authorizedprincipalscommanduser", "authorizedprincipalsfile",
	"banner", "casignaturealgorithms", "challengeresponseauthentication", "channeltimeout",
	"checkmail", "chrootdirectory", "ciphers", "clientalivecountmax", "clientaliveinterval",
	"compression", "debianbanner", "denygroups", "denyusers", "disableforwarding",
	"dsaauthentication", "exposeauthinfo", "fingerprinthash", "forcecommand", "gatewayports",
	"gssapiauthentication", "gssapicleanupcredentials", "gssapicleanupcreds",
	"gssapidelegatecredentials", "gssapienablek5users", "gssapikexalgorithms", "gssapikeyexchange",
	"gssapistorecredentialsonrekey", "gssapistrictacceptorcheck", "gssapiusesessioncredcache",
	"hostbasedacceptedalgorithms", "hostbasedacceptedkeytypes", "hostbasedauthentication",
	"hostbasedusesnamefrompacketonly", "hostcertificate", "hostdsakey", "hostkey", "hostkeyagent",
	"hostkeyalgorithms", "ignorerhosts", "ignoreuserknownhosts", "include", "ipqos",
	"kbdinteractiveauthentication", "keepalive", "kerberosauthentication", "kerberosgetafstoken",
	"kerberosorlocalpasswd", "kerberostgtpassing", "kerberosticketcleanup", "kerberosusekuserok",
	"kexalgorithms", "keyregenerationinterval", "listenaddress", "logingracetime", "loglevel",
	"logverbose", "macs", "match", "maxauthtries", "maxsessions", "maxstartups", "modulifile",
	"pamauthenticationviakbdint", "pamservicename", "passwordauthentication", "permitemptypasswords",
	"permitlisten", "permitopen", "permitrootlogin", "permittty", "permittunnel",
	"permituserenvironment", "permituserrc", "persourcemaxstartups", "persourcenetblocksize",
	"persourcepenalties", "persourcepenaltyexemptlist", "pidfile", "port", "printlastlog",
	"printmotd", "protocol", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes",
	"pubkeyauthentication", "pubkeyauthoptions", "rdomain", "refuseconnection", "rekeylimit",
	"requiredrsasize", "reversemappingcheck", "revokedkeys", "rhostsauthentication",
	"rhostsrsaauthentication", "rsaauthentication", "securitykeyprovider", "serverkeybits", "setenv",
	"skeyauthentication", "sshdauthpath", "sshdsessionpath", "streamlocalbindmask",
	"streamlocalbindunlink", "strictmodes", "subsystem", "syslogfacility", "tcpkeepalive",
	"trustedusercakeys", "unusedconnectiontimeout", "usedns", "uselogin", "usepam",
	"useprivilegeseparation", "verifyreversemapping", "versionaddendum", "x11displayoffset",
	"x11forwarding", "x11uselocalhost", "xauthlocation",
}

// probeCandidates are the keywords the oracle probes: the modelled ones and
// one no release knows.
func probeCandidates() []string {
	return append(append([]string(nil), modelledKeywords...), "nosuchkeyword")
}

// encodeGolden writes a case's runs as a difference from defaults.
func encodeGolden(name, build string, defaults string, runs []run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# sshd -T of OpenSSH %s for corpus case %s; written by sshd-oracles.sh, do not edit\n", build, name)
	def := parseDumpLines(defaults)
	prev := ""
	for i, r := range runs {
		spec := r.spec
		if spec == "" {
			spec = "(none)"
		}
		fmt.Fprintf(&b, "== spec %s\n", spec)
		body := fmt.Sprintf("rc %d\n", r.rc)
		for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
			if l != "" {
				body += "! " + l + "\n"
			}
		}
		got := parseDumpLines(r.stdout)
		if r.rc == 0 {
			for _, k := range slices.Sorted(maps.Keys(got)) {
				if !slices.Equal(got[k], def[k]) {
					for _, l := range got[k] {
						body += "+ " + l + "\n"
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(def)) {
				if _, ok := got[k]; !ok {
					body += "- " + k + "\n"
				}
			}
		}
		if i > 0 && body == prev {
			b.WriteString("= same\n")
			continue
		}
		b.WriteString(body)
		prev = body
	}
	return b.String()
}
