package main

import rego.v1

test_version if {
	warn_version["the top-level version key is obsolete"] with input as {"version": "3.8"}
}
