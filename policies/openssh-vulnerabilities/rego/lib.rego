# Helpers of the openssh-vulnerabilities policies: version ordering as
# dpkg, rpm and apk define it, and the backport-aware verdict on one CVE.
# The orderings are checked against dpkg --compare-versions and rpm's own
# rpm.vercmp by bundle_test.go.
package assay.openssh.lib

import rego.v1

fixed_data := data.openssh_fixed

# --- small helpers -----------------------------------------------------------

# first_nonzero is the first non-zero comparison of a list, or 0.
first_nonzero(l) := nz[0] if {
	nz := [x | some x in l; x != 0]
	count(nz) > 0
}

first_nonzero(l) := 0 if {
	every x in l {
		x == 0
	}
}

cmp(a, b) := -1 if a < b

cmp(a, b) := 1 if a > b

cmp(a, b) := 0 if a == b

# ascii is the printable ASCII table: a character's code is 32 + its index.
ascii := " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

code(c) := 32 + indexof(ascii, c)

is_letter(c) if regex.match(`^[A-Za-z]$`, c)

num(s) := 0 if s == ""

num(s) := to_number(s) if s != ""

# --- dpkg --------------------------------------------------------------------

# dpkg_order is dpkg's order() of one character: '~' before everything, even
# the end of the string (0), letters before other characters.
dpkg_order(c) := -1 if c == "~"

dpkg_order(c) := code(c) if is_letter(c)

dpkg_order(c) := code(c) + 256 if {
	c != "~"
	not is_letter(c)
}

# dpkg_strcmp compares two non-digit runs character by character. Equal
# runs, the most common by far, compare without the loop.
dpkg_strcmp(a, b) := r if {
	a != b
	ca := split(a, "")
	cb := split(b, "")
	n := max([count(ca), count(cb)])
	r := first_nonzero([cmp(x, y) |
		some i in numbers.range(0, n - 1)
		x := dpkg_char(ca, i)
		y := dpkg_char(cb, i)
	])
}

dpkg_strcmp(a, b) := 0 if a == b

# dpkg_char is the order of character i, or 0 past the end: indexing, not
# counting, since it is called for every character.
dpkg_char(cs, i) := dpkg_order(cs[i])

dpkg_char(cs, i) := 0 if not cs[i]

# verrevcmp is dpkg's comparison of an upstream version or a revision:
# alternating non-digit and digit runs.
verrevcmp(a, b) := r if {
	a != b
	ta := regex.find_all_string_submatch_n(`([^0-9]*)([0-9]*)`, a, -1)
	tb := regex.find_all_string_submatch_n(`([^0-9]*)([0-9]*)`, b, -1)
	n := max([count(ta), count(tb), 1])
	r := first_nonzero([c |
		some i in numbers.range(0, n - 1)
		c := first_nonzero([dpkg_strcmp(run(ta, i, 1), run(tb, i, 1)), cmp(num(run(ta, i, 2)), num(run(tb, i, 2)))])
	])
}

verrevcmp(a, b) := 0 if a == b

run(t, i, j) := t[i][j]

run(t, i, _) := "" if not t[i]

dpkg_parse(v) := {"epoch": e, "upstream": u, "revision": r} if {
	[e, rest] := dpkg_epoch(v)
	[u, r] := dpkg_revision(rest)
}

dpkg_epoch(v) := [to_number(p[0]), substring(v, count(p[0]) + 1, -1)] if {
	contains(v, ":")
	p := split(v, ":")
}

dpkg_epoch(v) := [0, v] if not contains(v, ":")

dpkg_revision(v) := [substring(v, 0, i), substring(v, i + 1, -1)] if {
	i := max([j | some j, c in split(v, ""); c == "-"])
}

dpkg_revision(v) := [v, ""] if not contains(v, "-")

# dpkg_cmp is dpkg --compare-versions: -1, 0 or 1.
dpkg_cmp(a, b) := first_nonzero([cmp(pa.epoch, pb.epoch), verrevcmp(pa.upstream, pb.upstream), verrevcmp(pa.revision, pb.revision)]) if {
	a != b
	pa := dpkg_parse(a)
	pb := dpkg_parse(b)
}

dpkg_cmp(a, b) := 0 if a == b

# --- rpm ---------------------------------------------------------------------

# rpm_key orders one segment as rpmvercmp does: "~" before the end of the
# version, the end before "^", letters before digits.
rpm_key(t) := [0, 0] if t == "~"

rpm_key(t) := [2, 0] if t == "^"

rpm_key(t) := [3, t] if regex.match(`^[A-Za-z]+$`, t)

rpm_key(t) := [4, to_number(t)] if regex.match(`^[0-9]+$`, t)

rpm_seg(ks, i) := ks[i]

rpm_seg(ks, i) := [1, 0] if not ks[i]

# rpmvercmp compares two version (or release) strings; equal strings
# compare without splitting them.
rpmvercmp(a, b) := 0 if a == b

rpmvercmp(a, b) := r if {
	a != b
	ka := [rpm_key(t) | some t in regex.find_n(`~|\^|[0-9]+|[A-Za-z]+`, a, -1)]
	kb := [rpm_key(t) | some t in regex.find_n(`~|\^|[0-9]+|[A-Za-z]+`, b, -1)]
	n := max([count(ka), count(kb), 1])
	r := first_nonzero([c |
		some i in numbers.range(0, n - 1)
		x := rpm_seg(ka, i)
		y := rpm_seg(kb, i)
		c := first_nonzero([cmp(x[0], y[0]), cmp(x[1], y[1])])
	])
}

rpm_parse(v) := {"epoch": e, "version": ver, "release": rel} if {
	[e, rest] := dpkg_epoch(v)
	[ver, rel] := dpkg_revision(rest)
}

# rpm_cmp compares EPOCH:VERSION-RELEASE as rpm does.
rpm_cmp(a, b) := first_nonzero([cmp(pa.epoch, pb.epoch), rpmvercmp(pa.version, pb.version), rpmvercmp(pa.release, pb.release)]) if {
	pa := rpm_parse(a)
	pb := rpm_parse(b)
}

# --- apk ---------------------------------------------------------------------

# apk versions: numbers separated by dots, a letter, suffixes (_alpha,
# _beta, _pre, _rc before the plain version; _cvs, _svn, _git, _hg, _p
# after it), then -rREVISION.
apk_suffix_rank := {"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}

apk_key(v) := [nums, letter, sufs, rev] if {
	m := regex.find_all_string_submatch_n(`^([0-9]+(?:\.[0-9]+)*)([a-z]?)((?:_[a-z]+[0-9]*)*)(?:-r([0-9]+))?$`, v, 1)[0]
	nums := [to_number(x) | some x in split(m[1], ".")]
	letter := m[2]
	sufs := [[apk_suffix_rank[s[1]], num(s[2])] | some s in regex.find_all_string_submatch_n(`_([a-z]+)([0-9]*)`, m[3], -1)]
	rev := num(m[4])
}

apk_at(l, i, pad) := l[i] if i < count(l)

apk_at(l, i, pad) := pad if i >= count(l)

apk_cmp(a, b) := first_nonzero([
	first_nonzero([cmp(apk_at(ka[0], i, -1), apk_at(kb[0], i, -1)) | some i in numbers.range(0, max([count(ka[0]), count(kb[0])]) - 1)]),
	cmp(ka[1], kb[1]),
	first_nonzero([cmp(apk_at(ka[2], i, [4, 0]), apk_at(kb[2], i, [4, 0])) | some i in numbers.range(0, max([count(ka[2]), count(kb[2]), 1]) - 1)]),
	cmp(ka[3], kb[3]),
]) if {
	ka := apk_key(a)
	kb := apk_key(b)
}

# pkg_cmp compares two package versions in the target's database's order.
pkg_cmp(source, a, b) := dpkg_cmp(a, b) if source == "dpkg"

pkg_cmp(source, a, b) := rpm_cmp(a, b) if source == "rpm"

pkg_cmp(source, a, b) := apk_cmp(a, b) if source == "apk"

# release_cmp compares upstream releases ("9.2p1").
release_cmp(a, b) := rpmvercmp(a, b)

# --- the verdict -------------------------------------------------------------

rhel_like := {"rhel", "centos", "rocky", "almalinux", "ol"}

# dist is the key of the target's distribution release in the data:
# "debian:12", "ubuntu:22.04", "rhel:9", "alpine:3.20".
dist := sprintf("ubuntu:%s", [input.distribution.version_id]) if input.distribution.id == "ubuntu"

dist := sprintf("alpine:%s", [concat(".", array.slice(split(input.distribution.version_id, "."), 0, 2))]) if input.distribution.id == "alpine"

dist := sprintf("rhel:%s", [split(input.distribution.version_id, ".")[0]]) if input.distribution.id in rhel_like

dist := sprintf("%s:%s", [id, split(input.distribution.version_id, ".")[0]]) if {
	id := input.distribution.id
	not id in {"ubuntu", "alpine"}
	not id in rhel_like
}

# package is the version the CVE is judged on: the server package, or the
# client package for the agent.
package_of(cve) := {"version": input.openssh_version, "release": input.openssh_release} if fixed_data[cve].package == "server"

package_of(cve) := {"version": input.ssh_agent.version, "release": input.ssh_agent.release} if {
	fixed_data[cve].package == "client"
	input.ssh_agent.version
}

from_database if input.version_source in {"dpkg", "rpm", "apk"}

# verdict is how the target stands against cve: an object with
# "vulnerable" (bool) and "why" (the reason, to quote in a finding).
verdict(cve) := v if {
	pkg := package_of(cve)
	from_database
	f := fixed_data[cve].fixed[dist]
	c := pkg_cmp(input.version_source, pkg.version, f.version)
	vulnerable := c < 0
	v := {"vulnerable": vulnerable, "why": sprintf("%s package %s; %s fixed it in %s (%s)", [input.version_source, pkg.version, dist, f.version, f.advisory])}
}

verdict(cve) := v if {
	not fixed_data[cve].fixed[dist]
	reason := fixed_data[cve].not_affected[dist]
	v := {"vulnerable": false, "why": reason}
}

verdict(cve) := v if {
	pkg := package_of(cve)
	not fixed_for_target(cve)
	not fixed_data[cve].not_affected[dist]
	pkg.release != ""
	u := fixed_data[cve].upstream
	v := {"vulnerable": in_range(pkg.release, u), "why": sprintf("OpenSSH %s, and %s is %s <= version < %s upstream; no fixed package is recorded for %s, and distributions backport fixes: the package version (%s) decides", [pkg.release, cve, u.introduced, u.fixed, dist_name, pkg.version])}
}

# in_range: introduced <= release < fixed.
in_range(release, u) if {
	release_cmp(release, u.introduced) >= 0
	release_cmp(release, u.fixed) < 0
} else := false

fixed_for_target(cve) if {
	from_database
	fixed_data[cve].fixed[dist]
}

dist_name := dist

dist_name := "this distribution" if not dist
