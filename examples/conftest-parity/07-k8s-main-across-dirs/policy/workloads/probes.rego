package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	not c.readinessProbe
	msg := sprintf("%s/%s: container %s has no readiness probe", [input.kind, input.metadata.name, c.name])
}
