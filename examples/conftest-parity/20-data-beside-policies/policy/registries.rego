package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	not allowed(c.image)
	msg := sprintf("%s: %s is not from an allowed registry", [input.metadata.name, c.image])
}

allowed(image) if {
	some prefix in data.allowed_registries
	startswith(image, prefix)
}

exception contains [""] if input.metadata.name in data.exempt_deployments
