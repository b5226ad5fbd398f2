package assay.ssh.max_startups_test

import rego.v1

import data.assay.ssh.max_startups

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(max_startups.deny) == 0 with input as doc({"maxstartups": "10:30:60"}, {})
}

test_violation_at_source_line if {
	some f in max_startups.deny with input as doc({"maxstartups": "10:30:100"}, {"maxstartups": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in max_startups.deny with input as doc({"maxstartups": "10:30:100"}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}
