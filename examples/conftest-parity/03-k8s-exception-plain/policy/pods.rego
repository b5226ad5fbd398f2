package main

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	some c in input.spec.containers
	c.securityContext.privileged
	msg := sprintf("Pod %s: container %s is privileged", [input.metadata.name, c.name])
}

warn contains msg if {
	input.kind == "Pod"
	input.spec.hostNetwork
	msg := sprintf("Pod %s uses the host network", [input.metadata.name])
}

deny_hostpath contains msg if {
	input.kind == "Pod"
	some v in input.spec.volumes
	v.hostPath
	msg := sprintf("Pod %s mounts the host path %s", [input.metadata.name, v.hostPath.path])
}

# System pods in kube-system may do all of the plain checks: "" excepts
# deny and warn, not deny_hostpath.
exception contains rules if {
	input.metadata.namespace == "kube-system"
	rules := [""]
}
