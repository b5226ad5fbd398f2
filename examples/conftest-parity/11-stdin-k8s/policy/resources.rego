package main

import rego.v1

deny contains msg if {
	input.kind in {"Deployment", "Job", "CronJob"}
	some c in object.get(input.spec.template.spec, "containers", [])
	not c.resources.requests.cpu
	msg := sprintf("%s %s: container %s requests no CPU", [input.kind, input.metadata.name, c.name])
}

warn contains msg if {
	input.kind == "Namespace"
	not input.metadata.labels["pod-security.kubernetes.io/enforce"]
	msg := sprintf("Namespace %s enforces no pod security standard", [input.metadata.name])
}
