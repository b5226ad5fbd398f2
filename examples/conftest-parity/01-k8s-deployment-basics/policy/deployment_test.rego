package main

import rego.v1

test_root_denied if {
	deny["Deployment web: containers must not run as root"] with input as {
		"kind": "Deployment", "metadata": {"name": "web"},
		"spec": {"template": {"spec": {"containers": []}}},
	}
}

test_nonroot_passes if {
	count(deny) == 0 with input as {
		"kind": "Deployment", "metadata": {"name": "web"},
		"spec": {"replicas": 3, "template": {"spec": {"securityContext": {"runAsNonRoot": true}, "containers": []}}},
	}
}

test_single_replica_warns if {
	count(warn) == 1 with input as {"kind": "Deployment", "metadata": {"name": "w"}, "spec": {"replicas": 1}}
}
