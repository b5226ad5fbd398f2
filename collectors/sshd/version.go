package sshd

import (
	"bufio"
	"bytes"
	"io/fs"
	"regexp"
	"strings"
)

// versionInfo says which OpenSSH the target has and which defaults table
// the collector used.
type versionInfo struct {
	Version  string // package version, "1:9.2p1-2+deb12u10"; "" when unknown
	Source   string // "dpkg", "apk", or "none"
	Profile  *profile
	Fallback bool // the version has no table of its own; the newest was used
}

var upstreamRe = regexp.MustCompile(`^(?:\d+:)?(\d+\.\d+)(p\d+)?`)

// detectVersion reads the openssh-server version from the target's package
// database (dpkg status, then apk installed) and picks its defaults table.
func detectVersion(fsys fs.FS) versionInfo {
	vi := versionInfo{Source: "none"}
	if v := dpkgVersion(fsys, "openssh-server"); v != "" {
		vi.Version, vi.Source = v, "dpkg"
	} else if v := apkVersion(fsys, "openssh-server"); v != "" {
		vi.Version, vi.Source = v, "apk"
	}
	vi.Profile, vi.Fallback = pickProfile(vi.Version)
	return vi
}

// pickProfile returns the table for an OpenSSH release ("9.2" of
// "1:9.2p1-2"), or the newest with fallback set.
func pickProfile(version string) (*profile, bool) {
	if m := upstreamRe.FindStringSubmatch(version); m != nil {
		for _, p := range profiles {
			if strings.HasPrefix(strings.TrimPrefix(p.Name, "debian-"), m[1]+"p") {
				return p, false
			}
		}
	}
	return profiles[0], true
}

func dpkgVersion(fsys fs.FS, pkg string) string {
	data, err := readFile(fsys, "var/lib/dpkg/status", maxPackageDB)
	if err != nil {
		return ""
	}
	for _, para := range bytes.Split(data, []byte("\n\n")) {
		var name, version, status string
		sc := bufio.NewScanner(bytes.NewReader(para))
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "Package: "):
				name = strings.TrimSpace(l[len("Package: "):])
			case strings.HasPrefix(l, "Version: "):
				version = strings.TrimSpace(l[len("Version: "):])
			case strings.HasPrefix(l, "Status: "):
				status = l
			}
		}
		if name == pkg && strings.HasSuffix(status, " installed") && !strings.Contains(status, "not-installed") {
			return version
		}
	}
	return ""
}

func apkVersion(fsys fs.FS, pkg string) string {
	data, err := readFile(fsys, "lib/apk/db/installed", maxPackageDB)
	if err != nil {
		return ""
	}
	name := ""
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "P:"):
			name = l[2:]
		case strings.HasPrefix(l, "V:") && name == pkg:
			return l[2:]
		case l == "":
			name = ""
		}
	}
	return ""
}
