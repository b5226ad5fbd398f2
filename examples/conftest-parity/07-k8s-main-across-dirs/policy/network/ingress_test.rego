package main

import rego.v1

test_no_host if {
	count(deny) == 1 with input as {"kind": "Ingress", "metadata": {"name": "i"}, "spec": {"rules": [{}], "tls": []}}
}
