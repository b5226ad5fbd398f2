package sbom.vulns

import rego.v1

deny contains msg if {
	some c in input.components
	some advisory in data.sbom.vulns.advisories
	advisory.purl == c.purl
	msg := sprintf("%s is affected by %s", [c.purl, advisory.id])
}

warn contains msg if {
	not data.sbom.owners.teams[input.metadata.component.name]
	msg := sprintf("no team owns %s", [input.metadata.component.name])
}
