package assay.ssh.config_valid_test

import rego.v1

import data.assay.ssh.config_valid

doc(errors) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {}, "settings": {}, "sources": {}, "errors": errors, "valid": true}

test_no_errors if {
	count(config_valid.deny) == 0 with input as doc([])
}

test_fatal_points_at_line if {
	config_valid.deny == {{"msg": "sshd would refuse this configuration: Bad configuration option: Foo", "path": "/etc/ssh/sshd_config.d/x.conf", "line": 3}} with input as doc([{"path": "/etc/ssh/sshd_config.d/x.conf", "line": 3, "message": "Bad configuration option: Foo", "fatal": true}])
}

test_deprecated_is_a_warning if {
	count(config_valid.deny) == 0 with input as doc([{"path": "/etc/ssh/sshd_config", "line": 1, "message": "Deprecated option UseLogin", "fatal": false}])
	count(config_valid.warn) == 1 with input as doc([{"path": "/etc/ssh/sshd_config", "line": 1, "message": "Deprecated option UseLogin", "fatal": false}])
}

test_connection_documents_do_not_repeat_errors if {
	d := object.union(doc([{"path": "/etc/ssh/sshd_config", "line": 3, "message": "Bad configuration option: Foo", "fatal": true}]), {"connection": {"user": "root"}})
	count(config_valid.deny) == 0 with input as d
}
