policy "broken" {
  rego = file("rego/broken.rego")
}

policy "v0" {
  rego = file("rego/v0.rego")
}
