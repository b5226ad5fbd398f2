policy "p" {
  severity    = "urgent"
  enforcement = "strict"
  mode        = "batch"
  rego        = file("ok.rego")
}
