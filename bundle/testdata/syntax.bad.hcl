policy "p" {
  title = "unclosed
  rego = file("ok.rego")

policy "q" {
