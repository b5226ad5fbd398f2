bundle "shared" {}

policy "one" {
  rego = file("one.rego")
}
