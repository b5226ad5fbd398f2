collect "testkind" "main" {
  path = "/etc/ssh/sshd_config"
}

policy "p" {
  input = [collect.testkind.mian, collect.testkind.main, collect.other.thing]
  rego  = file("ok.rego")
}

policy "q" {
  input = [var.x, collect.testkind, "collect.testkind.main"]
  rego  = file("other.rego")
}
