bundle "authorized-keys" {
  version     = "1.0.0"
  description = "Every ~/.ssh/authorized_keys holds only comments, blank lines and approved keys"
}

# Every authorized_keys file of root and of each home directory, with its
# lines, so that the policies can judge each one and point at it.
collect "file" "authorized_keys" {
  paths    = ["/root", "/home/*"]
  name     = "^authorized_keys2?$"
  maxdepth = 2
  capture  = true
  hashes   = ["sha256"]
}

policy "authorized-keys-lines" {
  title       = "authorized_keys lines are comments, blank, or keys of an allowed type with allowed options"
  description = "Each line of an authorized_keys file must be a comment, a blank line, or a public key whose type is listed in data.authorized_keys_policy.allowed_types and whose options are all listed in allowed_options. The file must not be writable by group or others, nor a symbolic link."
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-5.2.x", "NIST-AC-2"]
  remediation = "Remove the offending line, or convert the key to an allowed type (ssh-keygen -t ed25519); chmod 600 the file."
  input       = [collect.file.authorized_keys]
  rego        = file("rego/lines.rego")
}

policy "authorized-keys-known" {
  title       = "authorized_keys hold only the keys the directory lists for their user"
  description = "When data.authorized_keys_allowed is present (an LDAP-style export: users with uid, homeDirectory and sshPublicKey), every key of a user's authorized_keys must be one of that user's sshPublicKey values, and every home with an authorized_keys must belong to a listed user."
  severity    = "critical"
  enforcement = "mandatory"
  remediation = "Remove the unknown key, or register it for the user in the directory."
  input       = [collect.file.authorized_keys]
  rego        = file("rego/known.rego")
}
