package main

import rego.v1

test_agpl_denied if {
	count(deny) == 1 with input as {"bomFormat": "CycloneDX", "components": [{"name": "x", "version": "1", "purl": "pkg:npm/x@1", "licenses": [{"license": {"id": "AGPL-3.0-only"}}]}]}
		with data.licenses.denied as ["AGPL-3.0-only"]
}
