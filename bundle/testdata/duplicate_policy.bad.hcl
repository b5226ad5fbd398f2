policy "p" {
  rego = file("ok.rego")
}

policy "q" {
  rego = file("other.rego")
}

policy "p" {
  title = "the same id again"
  rego  = file("other.rego")
}
