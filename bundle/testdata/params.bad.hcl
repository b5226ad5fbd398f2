param "max_tries" {
  type    = number
  default = "4"
}

param "ciphers" {
  type    = list(string)
  default = ["aes256-ctr", 3]
}

param "bad-name" {
  type    = bool
  default = true
}

param "max_tries" {
  type    = number
  default = 5
}

param "shape" {
  type    = tuple
  default = 1
}

param "no_default" {
  type = string
}

policy "p" {
  rego = file("ok.rego")
}
