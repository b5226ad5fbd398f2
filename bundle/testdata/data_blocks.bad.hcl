data "fil" "x" {
  path = "known.json"
}

data "file" "txt" {
  path = "notes.txt"
}

data "file" "nopath" {}

data "file" "missing" {
  path = "missing.json"
}

data "file" "known" {
  path = "known.json"
}

data "file" "again" {
  path = "known.json"
}

data "file" "assay" {
  path = "known.json"
}

data "file" "again" {
  path = "known.json"
}
