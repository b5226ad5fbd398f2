bundle "b" {
  verison = "1.0.0"
}

policy "p" {
  severty = "high"
  rego    = file("ok.rego")
}
