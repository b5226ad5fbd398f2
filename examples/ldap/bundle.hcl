# Judge every directory user's ~/.ssh/authorized_keys against the keys the
# directory says they own (sshPublicKey, as in the openssh-lpk schema).
#
#   ASSAY_LDAP_PASSWORD=… assay scan --allow-env ASSAY_LDAP_PASSWORD -b examples/ldap
#   ASSAY_LDAP_PASSWORD=… assay data --allow-env ASSAY_LDAP_PASSWORD -b examples/ldap   # what the directory returned
#
# The bundle names the variable; only the operator's --allow-env lets the
# scan read it (--allow-env ASSAY_LDAP_PASSWORD@ldap.example.com sends it to
# that host only).
#
# Edit url, bind_dn and base_dn for your directory. The Rego reads the
# entries as data.directory and the settings in ldap_keys_settings.json.

bundle "ldap-authorized-keys" {
  version     = "1.0.0"
  description = "authorized_keys hold only the keys the directory gives each user"
}

data "ldap" "directory" {
  url          = "ldaps://ldap.example.com"
  bind_dn      = "cn=assay,ou=services,dc=example,dc=com"
  password_env = "ASSAY_LDAP_PASSWORD"
  base_dn      = "ou=people,dc=example,dc=com"
  filter       = "(&(objectClass=posixAccount)(uid=*))"
  # Unknown attribute names are ignored by the server: ask for every
  # account-lock marker the policy understands.
  attributes = ["uid", "homeDirectory", "loginShell", "sshPublicKey", "nsAccountLock", "pwdAccountLockedTime"]
  page_size  = 500
  timeout    = "30s"
}

# Every authorized_keys file under /home, with its lines. Add roots here if
# homeDirectory points elsewhere (/srv/home, /var/lib/…).
collect "file" "authorized_keys" {
  paths    = ["/home"]
  name     = "^authorized_keys$"
  maxdepth = 3
  capture  = true
}

# /etc/passwd, for users whose entry has no homeDirectory.
collect "file" "passwd" {
  paths   = ["/etc/passwd"]
  capture = true
}

policy "ldap-authorized-keys" {
  title       = "authorized_keys hold only the user's directory keys"
  severity    = "high"
  enforcement = "mandatory"
  remediation = "Remove the flagged lines, or add the key to the user's sshPublicKey in the directory."
  mode        = "aggregate"
  input       = [collect.file.authorized_keys, collect.file.passwd]
  rego        = file("rego/authorized_keys.rego")
}

policy "ldap-directory-keys" {
  title       = "Directory SSH keys are well-formed"
  severity    = "medium"
  enforcement = "mandatory"
  remediation = "Fix or remove the malformed sshPublicKey values in the directory."
  mode        = "aggregate"
  input       = [collect.file.passwd]
  rego        = file("rego/directory_keys.rego")
}
