package main

import rego.v1

deny contains msg if {
	input.kind == "Service"
	msg := sprintf("%s", [input.metadata.name]
}
