package main

# v0 syntax, as older conftest policies are written.
deny[msg] {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := "Containers must not run as root"
}

warn_latest[msg] {
	endswith(input.image, ":latest")
	msg := "image uses the latest tag"
}
