package main

import rego.v1

test_configmap_secret if {
	count(deny) == 1 with input as {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"DB_PASSWORD": "x"}}
}

test_labels_present if {
	count(deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "d", "labels": {
		"app.kubernetes.io/name": "d", "app.kubernetes.io/part-of": "shop",
	}}}
}
