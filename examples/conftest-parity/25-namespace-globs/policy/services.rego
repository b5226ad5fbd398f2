package k8s.services

import rego.v1

deny contains msg if {
	input.kind == "Service"
	input.spec.type == "NodePort"
	msg := sprintf("Service %s is a NodePort", [input.metadata.name])
}
