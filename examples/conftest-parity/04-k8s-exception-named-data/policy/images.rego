package main

import rego.v1

deny_latest contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s: container %s uses the latest tag", [input.metadata.name, c.name])
}

deny_registry contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	not trusted(c.image)
	msg := sprintf("%s: image %s is not from a trusted registry", [input.metadata.name, c.image])
}

warn_pull_policy contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	c.imagePullPolicy != "Always"
	msg := sprintf("%s: container %s does not always pull", [input.metadata.name, c.name])
}

trusted(image) if {
	some registry in data.registries.trusted
	startswith(image, registry)
}

exception contains rules if {
	some w in data.waivers
	w.deployment == input.metadata.name
	rules := w.rules
}
