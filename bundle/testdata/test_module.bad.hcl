policy "p" {
  rego = file("support_test.rego")
}
