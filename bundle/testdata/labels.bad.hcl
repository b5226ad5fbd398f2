policy "has spaces" {
  rego = file("ok.rego")
}

policy {
  rego = file("other.rego")
}

collect "testkind" {
  path = "/x"
}
