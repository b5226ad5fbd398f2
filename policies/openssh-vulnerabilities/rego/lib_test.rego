package assay.openssh.lib_test

import rego.v1

import data.assay.openssh.lib

test_dpkg_order if {
	lib.dpkg_cmp("1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u2") == 1
	lib.dpkg_cmp("1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u10") == -1
	lib.dpkg_cmp("1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.5") == 1
	lib.dpkg_cmp("1.0~rc1", "1.0") == -1
	lib.dpkg_cmp("1:1.0", "2.0") == 1
	lib.dpkg_cmp("9.2p1-2", "9.2p1-2") == 0
}

test_rpm_order if {
	lib.rpm_cmp("8.7p1-38.el9_4.4", "8.7p1-38.el9_4.1") == 1
	lib.rpm_cmp("8.7p1-34.el9_3.3", "8.7p1-38.el9_4.1") == -1
	lib.rpm_cmp("8.0p1-24.el8", "8.0p1-19.el8_9.2") == 1
	lib.rpm_cmp("1.0~rc1-1", "1.0-1") == -1
	lib.rpm_cmp("2:1-1", "10-1") == 1
}

test_apk_order if {
	lib.apk_cmp("9.7_p1-r4", "9.7_p1-r3") == 1
	lib.apk_cmp("9.9_p2-r0", "9.9_p1-r9") == 1
	lib.apk_cmp("10.0_p1-r7", "9.9_p2-r0") == 1
	lib.apk_cmp("1.0_rc1", "1.0") == -1
}

doc(dist, version, source, release, settings) := {
	"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {},
	"settings": settings, "sources": {},
	"distribution": dist, "openssh_version": version, "openssh_release": release,
	"version_source": source, "ssh_agent": {"installed": false},
}

test_verdict_backport_fixed if {
	d := doc({"id": "debian", "version_id": "12"}, "1:9.2p1-2+deb12u3", "dpkg", "9.2p1", {})
	v := lib.verdict("CVE-2024-6387") with input as d
	not v.vulnerable
	contains(v.why, "DSA-5724-1")
}

test_verdict_backport_missing if {
	d := doc({"id": "debian", "version_id": "12"}, "1:9.2p1-2+deb12u2", "dpkg", "9.2p1", {})
	v := lib.verdict("CVE-2024-6387") with input as d
	v.vulnerable
}

test_verdict_not_affected if {
	d := doc({"id": "rhel", "version_id": "8.10"}, "8.0p1-24.el8", "rpm", "8.0p1", {})
	v := lib.verdict("CVE-2024-6387") with input as d
	not v.vulnerable
}

test_verdict_upstream_fallback if {
	d := doc({"id": "arch", "version_id": "rolling"}, "9.6p1", "binary", "9.6p1", {})
	v := lib.verdict("CVE-2024-6387") with input as d
	v.vulnerable
	contains(v.why, "backport")
}

test_verdict_upstream_outside if {
	d := doc({"id": "arch", "version_id": "rolling"}, "9.9p1", "binary", "9.9p1", {})
	v := lib.verdict("CVE-2024-6387") with input as d
	not v.vulnerable
}
