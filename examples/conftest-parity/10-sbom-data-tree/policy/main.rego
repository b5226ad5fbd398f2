package main

import rego.v1

deny contains msg if {
	input.specVersion in {"1.0", "1.1", "1.2"}
	msg := sprintf("CycloneDX %s is too old to be accepted", [input.specVersion])
}
