package main

import rego.v1

deny contains msg if {
	some name, svc in input.services
	some p in svc.ports
	port := to_number(split(p, ":")[count(split(p, ":")) - 2])
	port in data.reserved.ports
	msg := sprintf("%s publishes the reserved port %d", [name, port])
}
