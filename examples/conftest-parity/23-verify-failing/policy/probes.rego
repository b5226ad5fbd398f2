package k8s.probes

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	not c.livenessProbe
	msg := sprintf("%s: %s has no liveness probe", [input.metadata.name, c.name])
}
