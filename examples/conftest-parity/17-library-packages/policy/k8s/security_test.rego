package main

import rego.v1

test_escalation if {
	count(deny) == 1 with input as {"kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
}

test_no_escalation if {
	count(deny) == 0 with input as {"kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": false}}]}}}}
}
