bundle "tiny" {
  version     = "1.2.0"
  description = "A one-policy bundle for artifact tests"
}

policy "tiny-flag" {
  title    = "Documents are not flagged bad"
  severity = "low"
  rego     = file("p.rego")
}
