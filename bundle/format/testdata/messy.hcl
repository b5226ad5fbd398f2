bundle "messy" {
version = "1.0.0"
    description="badly laid out"
}

policy "inline" {
  title = "Inline Rego is formatted too"
  rego  = <<-EOT
    package assay.messy.inline
    deny contains msg if {
       input.x==1
         msg:="x is one"
    }
  EOT
}

policy "plain" {
  rego = <<EOT
package assay.messy.plain
deny contains msg if { input.y == 2; msg := "y" }
EOT
}

policy "template" {
  # Template sequences: left exactly as written.
  rego = <<EOT
package assay.messy.template
deny contains msg if { msg := "$${x}" }
EOT
}

policy "broken" {
  rego = <<EOT
package assay.messy.broken
deny contains msg if {
EOT
}

policy "file" {
  rego=file("messy.rego")
}
