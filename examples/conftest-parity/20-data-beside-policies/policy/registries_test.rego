package main

import rego.v1

test_exempt if {
	exception[[""]] with input as {"metadata": {"name": "vendor-monitoring"}}
}
