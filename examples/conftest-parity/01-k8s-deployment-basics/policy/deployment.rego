package main

import rego.v1

containers contains c if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
}

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("Deployment %s: containers must not run as root", [input.metadata.name])
}

deny contains msg if {
	some c in containers
	not c.resources.limits.memory
	msg := sprintf("Deployment %s: container %s has no memory limit", [input.metadata.name, c.name])
}

warn contains msg if {
	input.kind == "Deployment"
	input.spec.replicas < 2
	msg := sprintf("Deployment %s: a single replica is not highly available", [input.metadata.name])
}
