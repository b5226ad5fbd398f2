policy "p" {
  title    = ["not", "a", "string"]
  controls = { cis = "5.2.1" }
  input    = "collect.testkind.main"
  rego     = file("ok.rego")
}

policy "q" {
  rego = 42 + true
}
