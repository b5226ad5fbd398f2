package sshd

import (
	"bytes"
	"io"
	"io/fs"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/collectors/host"
	"github.com/assay-dev/assay/collectors/pkgdb"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// versionInfo says which OpenSSH the target has, whose build it is and
// which defaults table the collector used.
type versionInfo struct {
	// Version is the openssh-server package version as its database
	// spells it ("1:9.2p1-2+deb12u10"), or the upstream release the sshd
	// binary names; "" when unknown.
	Version string
	// Upstream is the OpenSSH release: "9.2p1".
	Upstream string
	// Source says where Version came from: "dpkg", "apk", "rpm", "binary"
	// or "none".
	Source string
	// Distribution is the target's os-release: id, version_id, name.
	Distribution map[string]any
	Profile      *profile
	// Exact is false when the release has no table of its own and the
	// nearest older one (or the oldest) stood in.
	Exact bool
	// Agent is the ssh-agent the target has: its package (the OpenSSH
	// client), or the binary alone.
	Agent map[string]any
	// opts are how the distribution starts sshd (RHEL 8's crypto policy).
	opts evalOptions
}

// clientPackages carry ssh-agent: Debian's, RHEL's and Alpine's names.
var clientPackages = []string{"openssh-client", "openssh-clients", "openssh-client-default", "openssh-client-common"}

// annotate adds the version fields to a document.
func (vi versionInfo) annotate(doc document.Document) {
	doc["openssh_version"] = vi.Version
	doc["openssh_release"] = vi.Upstream
	doc["version_source"] = vi.Source
	dist := vi.Distribution
	if dist == nil {
		dist = map[string]any{}
	}
	doc["distribution"] = dist
	doc["defaults"] = vi.Profile.Name
	doc["defaults_exact"] = vi.Exact
	doc["build"] = vi.Profile.build.String()
	agent := vi.Agent
	if agent == nil {
		agent = map[string]any{"installed": false}
	}
	doc["ssh_agent"] = agent
}

// serverPackages are the package names that carry sshd, by database.
var serverPackages = []string{"openssh-server"}

var upstreamRe = regexp.MustCompile(`(\d+\.\d+)[._]?(p\d+)?`)

// upstreamOf is the OpenSSH release in a package version: "9.2p1" of
// "1:9.2p1-2+deb12u10", "9.9p1" of "9.9_p1-r2", "8.0p1" of "8.0p1-19.el8".
func upstreamOf(version string) string {
	v := version
	if i := strings.IndexByte(v, ':'); i >= 0 && i < 4 {
		v = v[i+1:]
	}
	m := upstreamRe.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	p := m[2]
	if p == "" {
		p = "p1"
	}
	return m[1] + p
}

// detectVersion finds the target's OpenSSH server (its package database,
// else the sshd binary), its distribution (os-release) and the profile to
// evaluate with.
func detectVersion(fsys fs.FS) versionInfo {
	vi := versionInfo{Source: "none", Distribution: osRelease(fsys)}
	pkgs := pkgdb.Open(fsys)
	if pkg, ok := pkgs.Find(serverPackages...); ok {
		vi.Version, vi.Source = pkg.Version, pkg.Source
	} else if v := binaryRelease(fsys); v != "" {
		vi.Version, vi.Source = v, "binary"
	}
	vi.Upstream = upstreamOf(vi.Version)
	vi.Agent = map[string]any{"installed": false}
	if pkg, ok := pkgs.Find(clientPackages...); ok {
		vi.Agent = map[string]any{"installed": true, "package": pkg.Name, "version": pkg.Version, "release": upstreamOf(pkg.Version)}
	} else if _, err := fs.Stat(fsys, "usr/bin/ssh-agent"); err == nil {
		vi.Agent = map[string]any{"installed": true}
	}
	d := distroOf(vi.Distribution)
	b := buildFull
	if d == distroAlpine {
		// Alpine's openssh-server has no PAM (openssh-server-pam has).
		b = buildMinimal
		if _, pam := pkgs.Find("openssh-server-pam"); pam {
			b.pam = true
		}
	}
	rel, exact := nearestRelease(vi.Upstream)
	p, err := newProfile(rel, b, d)
	if err != nil {
		p, _ = newProfile(releaseNames[len(releaseNames)-1], b, distroUpstream)
		exact = false
	}
	vi.Profile, vi.Exact = p, exact
	if d == distroRedHat && p.v < v87 {
		vi.opts.options = rhel8CryptoPolicy(fsys)
	}
	return vi
}

// nearestRelease is the modelled release for an upstream release: itself
// (exact), or the nearest older one, or the oldest (not exact); the newest
// when the release is unknown.
func nearestRelease(upstream string) (string, bool) {
	v, ok := releaseNumber(upstream)
	if !ok {
		return releaseNames[len(releaseNames)-1], false
	}
	best := ""
	for _, r := range releaseNames {
		rv, _ := releaseNumber(r)
		if rv == v {
			return r, true
		}
		if rv < v {
			best = r
		}
	}
	if best == "" {
		return releaseNames[0], false
	}
	return best, false
}

// distroOf maps os-release to whose build of OpenSSH the target runs.
func distroOf(osr map[string]any) distro {
	id, _ := osr["id"].(string)
	like, _ := osr["id_like"].(string)
	ids := append([]string{id}, strings.Fields(like)...)
	for _, i := range ids {
		switch i {
		case "debian", "ubuntu":
			return distroDebian
		case "rhel", "centos", "fedora", "rocky", "almalinux", "ol":
			return distroRedHat
		case "alpine":
			return distroAlpine
		}
	}
	return distroUpstream
}

// maxFactFile bounds os-release and the like.
const maxFactFile = 64 << 10

func osRelease(fsys fs.FS) map[string]any {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		if b, err := target.ReadFile(fsys, p, maxFactFile); err == nil {
			return host.ParseOSRelease(b)
		}
	}
	return map[string]any{}
}

// readPrefix reads at most the first limit bytes of the file name of fsys,
// without saying whether there was more: enough of a binary to find a
// string in, or of a key file to fail to parse.
func readPrefix(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

// maxBinary is how much of the sshd binary is searched for its version.
const maxBinary = 32 << 20

var binaryRe = regexp.MustCompile(`OpenSSH_(\d+\.\d+p\d+)`)

// binaryRelease is the release the sshd binary names ("OpenSSH_9.6p1").
func binaryRelease(fsys fs.FS) string {
	for _, p := range []string{"usr/sbin/sshd", "usr/local/sbin/sshd"} {
		b, err := readPrefix(fsys, p, maxBinary)
		if err != nil {
			continue
		}
		if m := binaryRe.FindSubmatch(b); m != nil {
			return string(m[1])
		}
	}
	return ""
}

// rhel8CryptoPolicy is what RHEL 8's sshd.service adds to sshd's command
// line: $CRYPTO_POLICY from the crypto-policies back end, as -o options,
// unless /etc/sysconfig/sshd sets CRYPTO_POLICY itself (the documented
// opt-out).
func rhel8CryptoPolicy(fsys fs.FS) []string {
	if b, err := target.ReadFile(fsys, "etc/sysconfig/sshd", maxFactFile); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "CRYPTO_POLICY=") {
				return nil
			}
		}
	}
	b, err := target.ReadFile(fsys, "etc/crypto-policies/back-ends/opensshserver.config", maxFactFile)
	if err != nil {
		return nil
	}
	i := bytes.Index(b, []byte("CRYPTO_POLICY="))
	if i < 0 {
		return nil
	}
	v := strings.TrimSpace(string(b[i+len("CRYPTO_POLICY="):]))
	v, _, _ = strings.Cut(v, "\n")
	v = strings.Trim(v, `'"`)
	var out []string
	for _, f := range strings.Fields(v) {
		if o, ok := strings.CutPrefix(f, "-o"); ok {
			out = append(out, strings.Replace(o, "=", " ", 1))
		}
	}
	return out
}
