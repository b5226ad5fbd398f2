package main

import rego.v1

deny contains msg if {
	input.kind == "Ingress"
	some rule in input.spec.rules
	not rule.host
	msg := sprintf("Ingress/%s has a rule without a host", [input.metadata.name])
}

warn contains msg if {
	input.kind == "Ingress"
	not input.spec.tls
	msg := sprintf("Ingress/%s serves no TLS", [input.metadata.name])
}
