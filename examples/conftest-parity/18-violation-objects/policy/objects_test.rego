package main

import rego.v1

test_sys_admin if {
	some v in violation with input as {"kind": "Pod", "spec": {"containers": [{"name": "c", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}}
	v.details.capability == "SYS_ADMIN"
}
