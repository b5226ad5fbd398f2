# METADATA
# title: Every resource has an owner label
# custom:
#   severity: low
package k8s.labels

violation contains msg if {
	not input.metadata.labels.owner
	msg := "missing owner label"
}
