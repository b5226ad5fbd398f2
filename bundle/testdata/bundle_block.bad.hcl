bundle "bad name!" {
  rego_version = "v3"
}

bundle "second" {}
