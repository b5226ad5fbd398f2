package main

import rego.v1

violation contains {"msg": msg, "details": {"container": c.name, "capability": cap}} if {
	input.kind == "Pod"
	some c in input.spec.containers
	some cap in c.securityContext.capabilities.add
	cap in {"SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"}
	msg := sprintf("%s adds the capability %s", [c.name, cap])
}

violation_seccomp contains {"msg": "no seccomp profile", "severity": "high"} if {
	input.kind == "Pod"
	not input.spec.securityContext.seccompProfile
}

warn_image_digest contains {"msg": sprintf("%s is not pinned by digest", [c.image])} if {
	input.kind == "Pod"
	some c in input.spec.containers
	not contains(c.image, "@sha256:")
}
