package terraform.tags_test

import rego.v1

import data.terraform.tags

test_untagged if {
	count(tags.deny_missing_tags) == 1 with input as {"resource_changes": [{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "change": {"actions": ["create"], "after": {"tags": {"owner": "x"}}}}]}
}
