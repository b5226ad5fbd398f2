package main

import rego.v1

test_privileged if {
	deny["service a runs privileged"] with input as {"services": {"a": {"privileged": true}}}
}

test_loopback_port_ok if {
	count(deny) == 0 with input as {"services": {"a": {"ports": ["127.0.0.1:8080:80"]}}}
}
