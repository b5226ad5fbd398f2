policy "p" {
  title = "No rego at all"
}
