package compose.style

import rego.v1

warn contains msg if {
	some name, svc in input.services
	not contains(svc.image, ":")
	msg := sprintf("%s: pin the image %s to a tag", [name, svc.image])
}
