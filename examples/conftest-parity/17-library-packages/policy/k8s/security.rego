package main

import rego.v1

import data.lib.kubernetes as k8s

deny contains msg if {
	some c in k8s.containers
	object.get(c, ["securityContext", "allowPrivilegeEscalation"], true) != false
	msg := sprintf("%s: %s may escalate privileges", [k8s.name, c.name])
}
