collect "testkind" "main" {
  path = file("../../etc/passwd")
}

policy "p" {
  rego = file("../../etc/passwd")
}

policy "q" {
  rego = file("/etc/passwd")
}

policy "r" {
  rego = file("missing.rego")
}

data "file" "secrets" {
  path = "../secrets.json"
}
