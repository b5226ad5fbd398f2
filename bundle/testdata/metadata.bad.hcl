policy "p" {
  rego = <<EOT
# METADATA
# custom:
#   severity: urgent
#   enforcement: sometimes
package assay.meta

deny contains "x" if false
EOT
}

policy "q" {
  rego = <<EOT
package assay.meta_q

# METADATA
# title: [unclosed
deny contains "x" if false
EOT
}
