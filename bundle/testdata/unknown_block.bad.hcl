polcy "p" {
  rego = file("ok.rego")
}

resource "aws_instance" "x" {}

policy "p" {
  rego = file("ok.rego")
}
