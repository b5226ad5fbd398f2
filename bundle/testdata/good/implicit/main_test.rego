package main

test_root if {
	deny["Containers must not run as root"] with input as {"kind": "Deployment"}
}
