package main

import rego.v1

required_labels := {"app.kubernetes.io/name", "app.kubernetes.io/part-of"}

deny contains msg if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet"}
	some label in required_labels
	not input.metadata.labels[label]
	msg := sprintf("%s/%s is missing the label %s", [input.kind, input.metadata.name, label])
}

warn contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	msg := sprintf("Service/%s is exposed through a LoadBalancer", [input.metadata.name])
}

deny contains msg if {
	input.kind == "ConfigMap"
	some key, value in input.data
	regex.match(`(?i)(password|secret|token)`, key)
	msg := sprintf("ConfigMap/%s holds %s: use a Secret", [input.metadata.name, key])
}
