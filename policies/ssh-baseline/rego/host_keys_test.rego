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

filedoc(keys) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {}, "settings": {"hostkey": [k.path | some k in keys]}, "sources": {}, "errors": [], "valid": true, "differs": [], "host_keys": keys}

key(path, type, bits, loaded, line) := {"path": path, "type": type, "bits": bits, "loaded": loaded, "public": true, "file": "/etc/ssh/sshd_config", "line": line}

test_files_compliant if {
	count(host_keys.deny) == 0 with input as filedoc([key("/etc/ssh/ssh_host_ed25519_key", "ssh-ed25519", 256, true, 3), key("/etc/ssh/ssh_host_rsa_key", "ssh-rsa", 3072, true, 4)])
}

test_files_small_rsa_at_its_line if {
	some f in host_keys.deny with input as filedoc([key("/etc/ssh/ssh_host_ed25519_key", "ssh-ed25519", 256, true, 3), key("/etc/ssh/ssh_host_rsa_key", "ssh-rsa", 2048, true, 4)])
	contains(f.msg, "2048-bit RSA")
	f.line == 4
}

test_files_dsa if {
	some f in host_keys.deny with input as filedoc([key("/etc/ssh/ssh_host_ed25519_key", "ssh-ed25519", 256, true, 3), key("/etc/ssh/ssh_host_dsa_key", "ssh-dss", 1024, true, 5)])
	contains(f.msg, "DSA")
}

test_files_ed25519_not_loaded if {
	some f in host_keys.deny with input as filedoc([key("/etc/ssh/ssh_host_ed25519_key", "ssh-ed25519", 256, false, 3), key("/etc/ssh/ssh_host_ecdsa_key", "ecdsa-sha2-nistp256", 256, true, 4)])
	contains(f.msg, "no Ed25519")
}

test_files_type_not_allowed if {
	some f in host_keys.deny with input as filedoc([key("/etc/ssh/ssh_host_ed25519_key", "ssh-ed25519", 256, true, 3), key("/etc/ssh/ssh_host_ecdsa_key", "ecdsa-sha2-nistp256", 256, true, 4)])
		with data.assay.params["ssh-baseline"].host_key_types_allowed as ["ssh-ed25519"]
	f.msg == "HostKey /etc/ssh/ssh_host_ecdsa_key is a ecdsa-sha2-nistp256 key; allowed: ssh-ed25519"
	f.line == 4
}
