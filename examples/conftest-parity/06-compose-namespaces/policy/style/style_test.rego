package compose.style_test

import rego.v1

import data.compose.style

test_untagged if {
	count(style.warn) == 1 with input as {"services": {"a": {"image": "redis"}}}
}
