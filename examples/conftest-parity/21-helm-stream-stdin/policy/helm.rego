package main

import rego.v1

deny contains msg if {
	input.kind == "Secret"
	input.type == "Opaque"
	some k, v in input.stringData
	msg := sprintf("Secret %s carries %s in plain text (stringData)", [input.metadata.name, k])
}

warn contains msg if {
	input.metadata.labels["helm.sh/chart"]
	not input.metadata.labels["app.kubernetes.io/version"]
	msg := sprintf("%s %s has no app version label", [input.kind, input.metadata.name])
}
