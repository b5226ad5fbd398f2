package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	not has_label(input, "owner")
	msg := "missing owner"
}
