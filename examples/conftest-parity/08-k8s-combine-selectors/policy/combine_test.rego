package main

import rego.v1

test_orphan_service if {
	count(deny) == 1 with input as [{"path": "s.yaml", "contents": {"kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"app": "x"}}}}]
}
