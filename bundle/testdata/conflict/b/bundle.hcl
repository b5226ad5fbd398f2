bundle "shared" {}

policy "also-one" {
  rego = <<EOT
package conflict.one

warn contains "b" if false
EOT
}
