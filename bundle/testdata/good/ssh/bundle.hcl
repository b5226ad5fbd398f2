bundle "ssh-baseline" {
  version     = "1.0.0"
  description = "OpenSSH server hardening"
}

collect "testkind" "main" {
  path = "/etc/ssh/sshd_config"
}

collect "testkind" "keys" {
  path = "/root/.ssh/authorized_keys"
}

policy "sshd-password-auth" {
  title       = "Password authentication is disabled"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-5.2.12"]
  remediation = "Set `PasswordAuthentication no` in sshd_config."
  input       = [collect.testkind.main]
  rego        = file("rego/password_auth.rego")
}

# Title, description and severity come from the module's METADATA.
policy "sshd-root-login" {
  input = [collect.testkind.main]
  rego  = file("rego/root_login.rego")
}

policy "known-keys" {
  enforcement = "advisory"
  mode        = "aggregate"
  input       = [collect.testkind.keys, collect.testkind.main]
  rego        = <<-EOT
    package assay.ssh.known_keys

    deny contains msg if {
    	some doc in input.documents
    	not doc.path in data.known_hosts.allowed
    	msg := sprintf("unknown file %s", [doc.path])
    }
  EOT
}

data "file" "extra" {
  path = "data/extra.json"
}
