bundle "authorized-keys" {
  version     = "1.0.0"
  description = "Every ~/.ssh/authorized_keys holds only comments, blank lines and approved keys"
}

# Tunables: overlays (--overlay FILE, docs/tailoring.md) set them without
# touching this file. Policies read data.assay.params["authorized-keys"].
param "allowed_key_types" {
  type = list(string)
  default = [
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
  ]
  description = "Key types an authorized_keys line may hold (authorized-keys-lines)"
}

param "allowed_options" {
  type = list(string)
  default = [
    "from",
    "no-agent-forwarding",
    "no-port-forwarding",
    "no-pty",
    "no-user-rc",
    "no-X11-forwarding",
    "restrict",
    "expiry-time",
    "verify-required",
  ]
  description = "Options an authorized_keys line may give, case-insensitively (authorized-keys-lines)"
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
  description = "Each line of an authorized_keys file must be a comment, a blank line, or a public key whose type the allowed_key_types param lists and whose options the allowed_options param all lists. The file must not be writable by group or others, nor a symbolic link."
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
