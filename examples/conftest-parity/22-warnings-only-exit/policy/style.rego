package main

import rego.v1

warn contains msg if {
	some name, svc in input.services
	svc.container_name
	msg := sprintf("%s sets container_name, which stops it from scaling", [name])
}

warn_version contains "the top-level version key is obsolete" if input.version
