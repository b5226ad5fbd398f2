collect "testkind" "nopath" {
  pattern = "^ok$"
}

collect "testkind" "badpattern" {
  path    = "/x"
  pattern = "([a-z]+"
  depth   = 3
}

collect "testkind" "1st" {
  path = "/y"
}

collect "testkind" "badpattern" {
  path = "/z"
}
