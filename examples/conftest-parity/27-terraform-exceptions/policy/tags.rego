package terraform.tags

import rego.v1

required := {"owner", "cost-center"}

taggable contains rc if {
	some rc in input.resource_changes
	rc.change.actions[_] in {"create", "update"}
	startswith(rc.type, "aws_")
	rc.type != "aws_iam_policy_document"
}

deny_missing_tags contains msg if {
	some rc in taggable
	tags := object.get(rc.change.after, "tags", {})
	missing := required - {k | some k, _ in tags}
	count(missing) > 0
	msg := sprintf("%s lacks the tags %v", [rc.address, sort(missing)])
}

warn_public_ip contains msg if {
	some rc in taggable
	rc.type == "aws_instance"
	rc.change.after.associate_public_ip_address
	msg := sprintf("%s gets a public IP address", [rc.address])
}

# Resources a module owns that cannot be tagged from here.
exception contains ["missing_tags"] if {
	every rc in taggable {
		startswith(rc.address, "module.vendor_")
	}
}
