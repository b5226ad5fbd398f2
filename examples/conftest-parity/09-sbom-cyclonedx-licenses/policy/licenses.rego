package main

import rego.v1

deny contains msg if {
	input.bomFormat == "CycloneDX"
	some c in input.components
	some l in c.licenses
	l.license.id in data.licenses.denied
	msg := sprintf("%s@%s is licensed under %s, which is not allowed", [c.name, c.version, l.license.id])
}

warn contains msg if {
	input.bomFormat == "CycloneDX"
	some c in input.components
	not c.purl
	msg := sprintf("%s@%s has no package URL", [c.name, c.version])
}

deny_unknown contains msg if {
	some c in input.components
	not c.licenses
	msg := sprintf("%s@%s declares no license", [c.name, c.version])
}
