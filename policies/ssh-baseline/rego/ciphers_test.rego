package assay.ssh.ciphers_test

import rego.v1

import data.assay.ssh.ciphers

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(ciphers.deny) == 0 with input as doc({"ciphers": "chacha20-poly1305@openssh.com,aes256-ctr"}, {})
}

test_violation_at_source_line if {
	some f in ciphers.deny with input as doc({"ciphers": "aes128-ctr,aes128-cbc,3des-cbc"}, {"ciphers": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in ciphers.deny with input as doc({"ciphers": "aes128-ctr,aes128-cbc,3des-cbc"}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}
