package assay.ssh.macs_test

import rego.v1

import data.assay.ssh.macs

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(macs.deny) == 0 with input as doc({"macs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256"}, {})
}

test_violation_at_source_line if {
	some f in macs.deny with input as doc({"macs": "umac-64-etm@openssh.com,hmac-sha2-256,hmac-sha1"}, {"macs": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in macs.deny with input as doc({"macs": "umac-64-etm@openssh.com,hmac-sha2-256,hmac-sha1"}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}
