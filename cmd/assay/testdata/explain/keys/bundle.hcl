bundle "keys" {
  version = "0.1.0"
}

collect "file" "keys" {
  paths   = ["/root/.ssh", "/home"]
  name    = "^authorized_keys2?$"
  capture = true
}

policy "no-dsa-keys" {
  title    = "No DSA keys are authorized"
  severity = "high"
  input    = [collect.file.keys]
  rego     = <<-EOT
    package keys.no_dsa

    deny contains {"msg": msg, "line": i + 1} if {
    	some i, line in input.content.lines
    	fields := split(line, " ")
    	fields[0] == "ssh-dss"
    	msg := sprintf("DSA key %s is not allowed", [fields[2]])
    }
  EOT
}

policy "few-keys" {
  title    = "At most one key per file"
  severity = "low"
  input    = [collect.file.keys]
  rego     = file("few_keys.rego")
}
