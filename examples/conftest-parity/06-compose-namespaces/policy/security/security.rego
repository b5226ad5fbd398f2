package compose.security

import rego.v1

deny contains msg if {
	some name, svc in input.services
	svc.network_mode == "host"
	msg := sprintf("%s shares the host network", [name])
}

deny_socket contains msg if {
	some name, svc in input.services
	some v in svc.volumes
	contains(v, "/var/run/docker.sock")
	msg := sprintf("%s mounts the Docker socket", [name])
}
