package assay.ssh.disable_forwarding_test

import rego.v1

import data.assay.ssh.disable_forwarding

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(disable_forwarding.deny) == 0 with input as doc({"disableforwarding": "yes"}, {})
}

test_violation_at_source_line if {
	some f in disable_forwarding.deny with input as doc({"disableforwarding": "no"}, {"disableforwarding": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in disable_forwarding.deny with input as doc({"disableforwarding": "no"}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}
