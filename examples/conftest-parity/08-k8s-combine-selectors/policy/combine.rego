package main

import rego.v1

deployments := [d |
	some f in input
	d := f.contents
	d.kind == "Deployment"
]

services := [s |
	some f in input
	s := f.contents
	s.kind == "Service"
]

deny contains msg if {
	some s in services
	not selects_a_deployment(s)
	msg := sprintf("Service %s selects no Deployment", [s.metadata.name])
}

selects_a_deployment(s) if {
	some d in deployments
	every k, v in s.spec.selector {
		d.spec.template.metadata.labels[k] == v
	}
}

warn contains msg if {
	some f in input
	f.contents.kind == "Deployment"
	not f.contents.metadata.namespace
	msg := sprintf("%s: Deployment %s has no namespace", [f.path, f.contents.metadata.name])
}
