package k8s.pods.limits

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	some c in input.spec.containers
	not c.resources.limits.cpu
	msg := sprintf("%s: %s has no CPU limit", [input.metadata.name, c.name])
}
