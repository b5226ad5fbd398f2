package assay.ssh.host_keys_test

import rego.v1

import data.assay.ssh.host_keys

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(host_keys.deny) == 0 with input as doc({"hostkey": ["/etc/ssh/ssh_host_ed25519_key"]}, {})
}

test_violation_at_source_line if {
	some f in host_keys.deny with input as doc({"hostkey": ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_dsa_key"]}, {"hostkey": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in host_keys.deny with input as doc({"hostkey": ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_dsa_key"]}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}
