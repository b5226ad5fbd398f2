policy "p" {
  rego = file("ok.rego")
}

policy "q" {
  rego = <<EOT
package support.ok

warn contains "also here" if false
EOT
}
