package k8s.pods.images

import rego.v1

warn contains msg if {
	input.kind == "Pod"
	some c in input.spec.containers
	not contains(c.image, "/")
	msg := sprintf("%s: %s comes from Docker Hub's library", [input.metadata.name, c.image])
}
