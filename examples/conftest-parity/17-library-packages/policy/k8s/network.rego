package k8s.network

import rego.v1

import data.lib.kubernetes as k8s

deny contains msg if {
	input.kind == "NetworkPolicy"
	count(input.spec.podSelector) == 0
	count(object.get(input.spec, "ingress", [])) == 0
	msg := sprintf("NetworkPolicy/%s denies all ingress to the namespace", [input.metadata.name])
}

warn contains msg if {
	k8s.is_workload
	input.spec.template.spec.hostPID
	msg := sprintf("%s shares the host PID namespace", [k8s.name])
}
