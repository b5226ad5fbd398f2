policy "p" {
  rego = file("ok.rego")
}

policy "q" {
  rego = <<EOT
package support.ok

warn contains "also here" if false
EOT
}

collect "testkind" "a" {
  path = "/a"
}

collect "testkind" "b" {
  path = "/b"
}

# Sharing a package takes inputs of one's own: r and s both take b.
policy "r" {
  input = [collect.testkind.a, collect.testkind.b]
  rego  = <<EOT
package support.shared

deny contains "r" if false
EOT
}

policy "s" {
  input = [collect.testkind.b]
  rego  = <<EOT
package support.shared

deny contains "s" if false
EOT
}

# One policy of a package with inputs, one without: refused too.
policy "t" {
  rego = <<EOT
package support.shared

deny contains "t" if false
EOT
}
