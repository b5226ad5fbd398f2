package k8s.probes_test

import rego.v1

import data.k8s.probes

deployment(containers) := {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": containers}}}}

test_missing_probe_denied if {
	count(probes.deny) == 1 with input as deployment([{"name": "a"}])
}

# Written for a rule that also wanted readiness probes: it fails now.
test_readiness_required if {
	count(probes.deny) == 2 with input as deployment([{"name": "a", "livenessProbe": {}}])
}

todo_test_startup_probe if {
	false
}
