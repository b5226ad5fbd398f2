package main

import rego.v1

test_unencrypted if {
	count(deny) == 1 with input as {"resource_changes": [{"address": "aws_ebs_volume.x", "type": "aws_ebs_volume", "change": {"actions": ["create"], "after": {"encrypted": false}}}]}
}
