package main

import rego.v1

test_reserved_port if {
	count(deny) == 1 with input as {"services": {"a": {"ports": ["127.0.0.1:9090:9090"]}}}
}

test_free_port if {
	count(deny) == 0 with input as {"services": {"a": {"ports": ["8080:80"]}}}
}
