package main

import rego.v1

warn contains msg if {
	not input.metadata.namespace
	msg := sprintf("%s %s has no namespace", [input.kind, input.metadata.name])
}
