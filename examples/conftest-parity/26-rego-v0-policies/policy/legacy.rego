package main

deny[msg] {
	input.kind == "Deployment"
	not input.spec.template.spec.automountServiceAccountToken == false
	msg := sprintf("%s mounts a service account token", [input.metadata.name])
}

warn[msg] {
	input.kind == "Deployment"
	count(input.spec.template.spec.containers) > 3
	msg := sprintf("%s runs more than three containers", [input.metadata.name])
}

exception[rules] {
	input.metadata.annotations["policy.example.com/token-needed"] == "true"
	rules := [""]
}
