package main

import rego.v1

test_kube_system_excepted if {
	exception[[""]] with input as {"metadata": {"namespace": "kube-system"}}
}

test_default_not_excepted if {
	count(exception) == 0 with input as {"metadata": {"namespace": "default"}}
}
