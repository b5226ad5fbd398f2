package main

import rego.v1

changes := [rc | some rc in input.resource_changes; not "delete" in rc.change.actions]

deny contains msg if {
	some rc in changes
	rc.type == "aws_s3_bucket_public_access_block"
	some setting in ["block_public_acls", "block_public_policy"]
	rc.change.after[setting] == false
	msg := sprintf("%s: %s is off", [rc.address, setting])
}

deny contains msg if {
	some rc in changes
	rc.type == "aws_ebs_volume"
	not rc.change.after.encrypted
	msg := sprintf("%s: the volume is not encrypted", [rc.address])
}

warn contains msg if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	msg := sprintf("%s will be destroyed", [rc.address])
}
