package main

import rego.v1

deny contains msg if {
	some f in input
	not f.contents.services
	msg := sprintf("%s defines no services", [f.path])
}
