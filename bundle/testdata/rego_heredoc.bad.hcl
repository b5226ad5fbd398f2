bundle "heredoc" {}

policy "p" {
  title = "Inline Rego with a syntax error on line 10"
  rego  = <<-EOT
    package assay.inline

    deny contains msg if {
      msg := "x" +
    }
  EOT
}

policy "q" {
  rego = <<EOT
package assay.inline_q

deny contains msg if {
	msg = 
}
EOT
}
