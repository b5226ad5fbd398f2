package main

import rego.v1

test_privileged if {
	deny["privileged"] with input as fixture_privileged
}
