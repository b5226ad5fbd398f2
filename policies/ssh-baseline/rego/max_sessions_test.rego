package assay.ssh.max_sessions_test

import rego.v1

import data.assay.ssh.max_sessions

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(max_sessions.deny) == 0 with input as doc({"maxsessions": "10"}, {})
}

test_violation_at_source_line if {
	some f in max_sessions.deny with input as doc({"maxsessions": "64"}, {"maxsessions": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in max_sessions.deny with input as doc({"maxsessions": "64"}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}
