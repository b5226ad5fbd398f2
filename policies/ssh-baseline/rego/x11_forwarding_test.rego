package assay.ssh.x11_forwarding_test

import rego.v1

import data.assay.ssh.x11_forwarding

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {"user": "root"}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": [k | some k, _ in settings]}

test_compliant if {
	count(x11_forwarding.deny) == 0 with input as doc({"x11forwarding": "no", "disableforwarding": "no"}, {})
}

test_violation_at_source_line if {
	some f in x11_forwarding.deny with input as doc({"x11forwarding": "yes", "disableforwarding": "no"}, {"x11forwarding": {"path": "/etc/ssh/sshd_config.d/50-x.conf", "line": 7}})
	f.path == "/etc/ssh/sshd_config.d/50-x.conf"
	f.line == 7
	contains(f.msg, "connection user=root")
}

test_default_points_at_main_file if {
	some f in x11_forwarding.deny with input as doc({"x11forwarding": "yes", "disableforwarding": "no"}, {})
	f.path == "/etc/ssh/sshd_config"
	f.line == 0
}

# A connection document is judged only on what its Match blocks changed: a
# value wrong for every connection is reported once, on the document without
# Match applied.
test_connection_judged_only_on_what_match_changed if {
	unchanged := object.union(doc({"x11forwarding": "yes", "disableforwarding": "no"}, {}), {"differs": []})
	count(x11_forwarding.deny) == 0 with input as unchanged
	changed := object.union(unchanged, {"differs": ["x11forwarding"]})
	count(x11_forwarding.deny) == 1 with input as changed
}
