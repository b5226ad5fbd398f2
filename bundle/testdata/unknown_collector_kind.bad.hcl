collect "testknd" "main" {
  path = "/x"
}

collect "zzzzzzz" "other" {
  path = "/y"
}

policy "p" {
  input = [collect.testknd.main]
  rego  = file("ok.rego")
}
