package main

import rego.v1

namespaces := {m.contents.metadata.name | some m in input; m.contents.kind == "Namespace"}

quota_namespaces := {m.contents.metadata.namespace | some m in input; m.contents.kind == "ResourceQuota"}

deny_quota contains msg if {
	some ns in namespaces
	not ns in quota_namespaces
	msg := sprintf("namespace %s has no ResourceQuota", [ns])
}

deny contains msg if {
	some m in input
	m.contents.kind == "Namespace"
	not m.contents.metadata.labels.team
	msg := sprintf("%s: namespace %s has no team label", [m.path, m.contents.metadata.name])
}

# A sandbox cluster may go without quotas.
exception contains ["quota"] if {
	some m in input
	m.contents.kind == "ConfigMap"
	m.contents.metadata.name == "cluster-profile"
	m.contents.data.profile == "sandbox"
}
