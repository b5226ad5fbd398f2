package main

import rego.v1

services := object.get(input, "services", {})

deny contains msg if {
	some name, svc in services
	svc.privileged == true
	msg := sprintf("service %s runs privileged", [name])
}

deny contains msg if {
	some name, svc in services
	some port in svc.ports
	is_string(port)
	count(split(port, ":")) == 2
	msg := sprintf("service %s publishes %s on every interface: bind it to 127.0.0.1", [name, port])
}

warn contains msg if {
	some name, svc in services
	not svc.healthcheck
	msg := sprintf("service %s has no healthcheck", [name])
}

warn_restart contains msg if {
	some name, svc in services
	not svc.restart
	msg := sprintf("service %s has no restart policy", [name])
}
