# ssh-baseline: OpenSSH server hardening, judged on the effective
# configuration sshd itself computes (Includes, first-wins, Match blocks and
# defaults of the installed OpenSSH), one policy per control of the CIS
# Debian Linux 12 benchmark (section 5.1) and dev-sec ssh-baseline.
# docs/policies/ssh-baseline.md lists the policies and their sources.

bundle "ssh-baseline" {
  version     = "1.0.0"
  description = "OpenSSH server hardening (CIS Debian 12 section 5.1, dev-sec ssh-baseline)"
}

# Tunables. Overlays (assay scan --overlay FILE, docs/tailoring.md) set
# them without touching this file, so a signed copy stays verified; the
# defaults are this bundle's own profile. Policies read them at
# data.assay.params["ssh-baseline"] (lib.params in rego/lib.rego).

param "max_auth_tries" {
  type        = number
  default     = 4
  description = "Highest MaxAuthTries accepted (sshd-max-auth-tries)"
}

param "client_alive_interval" {
  type        = number
  default     = 300
  description = "Highest ClientAliveInterval accepted, in seconds (sshd-client-alive)"
}

param "client_alive_interval_min" {
  type        = number
  default     = 1
  description = "Lowest ClientAliveInterval accepted, in seconds; 0 turns the keepalive off (sshd-client-alive)"
}

param "client_alive_count_max" {
  type        = number
  default     = 3
  description = "Highest ClientAliveCountMax accepted (sshd-client-alive)"
}

param "client_alive_count_max_min" {
  type        = number
  default     = 1
  description = "Lowest ClientAliveCountMax accepted; set 0 with client_alive_count_max = 0 to require 0 (sshd-client-alive)"
}

param "login_grace_time" {
  type        = number
  default     = 60
  description = "Highest LoginGraceTime accepted, in seconds; 0 (no limit) is always refused (sshd-login-grace-time)"
}

param "max_startups" {
  type        = tuple([number, number, number])
  default     = [10, 30, 60]
  description = "Loosest MaxStartups accepted as [start, rate, full]: each part of the setting must be at most this one's (sshd-max-startups)"
}

param "max_sessions" {
  type        = number
  default     = 10
  description = "Highest MaxSessions accepted (sshd-max-sessions)"
}

param "log_levels" {
  type        = list(string)
  default     = ["VERBOSE", "INFO"]
  description = "LogLevel values accepted (sshd-log-level)"
}

param "ciphers_allowed" {
  type        = list(string)
  default     = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"]
  description = "Ciphers that may be offered; any other is a finding (sshd-ciphers). The default is every cipher OpenSSH 8.0 to 10.x knows but the CBC modes and 3DES"
}

param "macs_allowed" {
  type        = list(string)
  default     = ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-512", "hmac-sha2-256", "umac-128@openssh.com"]
  description = "MACs that may be offered; any other is a finding (sshd-macs). The default is every MAC OpenSSH knows but MD5, SHA-1, the truncated -96 ones and umac-64"
}

param "kex_algorithms_allowed" {
  type = list(string)
  default = [
    "mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "sntrup4591761x25519-sha512@tinyssh.org",
    "mlkem768nistp256-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
  ]
  description = "Key exchange algorithms that may be offered; any other is a finding (sshd-kex). The default is every one OpenSSH knows but the SHA-1 ones"
}

param "host_key_algorithms_allowed" {
  type = list(string)
  default = [
    "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256", "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", "ssh-dss", "ssh-dss-cert-v01@openssh.com",
    "ssh-mldsa44-ed25519@openssh.com", "ssh-mldsa44-ed25519-cert-v01@openssh.com",
  ]
  description = "HostKeyAlgorithms that may be offered; any other is a finding (sshd-host-keys). The default is every algorithm OpenSSH 8.0 to 10.x knows: not judged unless an overlay narrows it"
}

param "host_key_types_allowed" {
  type        = list(string)
  default     = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]
  description = "Types of the host key files sshd loads that are accepted (sshd-host-keys); DSA keys are always a finding of their own"
}

param "rsa_host_key_min_bits" {
  type        = number
  default     = 3072
  description = "Fewest bits of an RSA host key (sshd-host-keys)"
}

collect "sshd_config" "main" {
  path = "/etc/ssh/sshd_config"
  # the settings root gets when logging in from elsewhere (Match blocks)
  match {
    user = "root"
  }
}

policy "sshd-permit-root-login" {
  title       = "Root cannot log in over SSH"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.20", "devsec-sshd-06"]
  remediation = "Set `PermitRootLogin no` (in the main section, and in no Match block that applies)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/permit_root_login.rego")
}

policy "sshd-password-auth" {
  title       = "Password authentication is disabled"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["devsec-sshd-27"]
  remediation = "Set `PasswordAuthentication no`, and check that no Match block or drop-in turns it back on."
  input       = [collect.sshd_config.main]
  rego        = file("rego/password_auth.rego")
}

policy "sshd-authentication-methods" {
  title       = "With password authentication off, a public key is required (AuthenticationMethods publickey)"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["devsec-sshd-27"]
  remediation = "Set `AuthenticationMethods publickey` (or a list in which every method set includes publickey)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/authentication_methods.rego")
}

policy "sshd-kbd-interactive" {
  title       = "Keyboard-interactive authentication is disabled"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["devsec-sshd-29"]
  remediation = "Set `KbdInteractiveAuthentication no` (formerly ChallengeResponseAuthentication)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/kbd_interactive.rego")
}

policy "sshd-permit-empty-passwords" {
  title       = "Empty passwords are refused"
  severity    = "critical"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.19", "devsec-sshd-28"]
  remediation = "Set `PermitEmptyPasswords no`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/permit_empty_passwords.rego")
}

policy "sshd-max-auth-tries" {
  title       = "MaxAuthTries is limited (4 or less by default)"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.16", "devsec-sshd-19"]
  remediation = "Set `MaxAuthTries` to the limit the finding names or lower (4, unless an overlay sets another)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/max_auth_tries.rego")
}

policy "sshd-client-alive" {
  title       = "Idle sessions time out (ClientAliveInterval/ClientAliveCountMax)"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.7", "devsec-sshd-36", "devsec-sshd-37"]
  remediation = "Set `ClientAliveInterval` and `ClientAliveCountMax` within the ranges the finding names (1-300 seconds and 1-3, unless an overlay sets others): `ClientAliveInterval 300`, `ClientAliveCountMax 3`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/client_alive.rego")
}

policy "sshd-login-grace-time" {
  title       = "LoginGraceTime is short (one minute or less by default)"
  severity    = "low"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.13", "devsec-sshd-18"]
  remediation = "Set `LoginGraceTime` within the range the finding names (1 to 60 seconds, unless an overlay sets another)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/login_grace_time.rego")
}

policy "sshd-x11-forwarding" {
  title       = "X11 forwarding is disabled"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["devsec-sshd-42"]
  remediation = "Set `X11Forwarding no`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/x11_forwarding.rego")
}

policy "sshd-tcp-forwarding" {
  title       = "TCP forwarding is disabled"
  severity    = "medium"
  enforcement = "advisory"
  controls    = ["devsec-sshd-39"]
  remediation = "Set `AllowTcpForwarding no` (or `DisableForwarding yes`)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/tcp_forwarding.rego")
}

policy "sshd-disable-forwarding" {
  title       = "All forwarding is disabled (DisableForwarding)"
  severity    = "medium"
  enforcement = "advisory"
  controls    = ["CIS-Debian12-5.1.8"]
  remediation = "Set `DisableForwarding yes` unless the host is a jump host."
  input       = [collect.sshd_config.main]
  rego        = file("rego/disable_forwarding.rego")
}

policy "sshd-hostbased-auth" {
  title       = "Host-based authentication is disabled"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.10", "devsec-sshd-25"]
  remediation = "Set `HostbasedAuthentication no`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/hostbased_auth.rego")
}

policy "sshd-ignore-rhosts" {
  title       = "rhosts files are ignored"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.11", "devsec-sshd-23"]
  remediation = "Set `IgnoreRhosts yes`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/ignore_rhosts.rego")
}

policy "sshd-log-level" {
  title       = "LogLevel records logins (VERBOSE or INFO by default)"
  severity    = "low"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.14", "devsec-sshd-13"]
  remediation = "Set `LogLevel VERBOSE` (records key fingerprints) or another level the finding names (`INFO`, unless an overlay sets others)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/log_level.rego")
}

policy "sshd-ciphers" {
  title       = "Only strong ciphers are offered"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.6", "devsec-sshd-01"]
  remediation = "Set `Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr` (or `Ciphers -*-cbc`)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/ciphers.rego")
}

policy "sshd-macs" {
  title       = "Only strong MACs are offered"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.15", "devsec-sshd-03"]
  remediation = "Set `MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512,hmac-sha2-256`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/macs.rego")
}

policy "sshd-kex" {
  title       = "Only strong key exchange algorithms are offered"
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.12", "devsec-sshd-02"]
  remediation = "Set `KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256` (no SHA-1 groups)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/kex.rego")
}

policy "sshd-host-keys" {
  title       = "An Ed25519 host key is used; no DSA host key; RSA host keys are long enough (3072 bits by default)"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["devsec-sshd-14"]
  remediation = "Use `HostKey /etc/ssh/ssh_host_ed25519_key` (first), remove DSA host keys, and replace RSA host keys under 3072 bits (`ssh-keygen -t rsa -b 3072`)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/host_keys.rego")
}

policy "sshd-banner" {
  title       = "A warning banner is shown before authentication"
  severity    = "low"
  enforcement = "advisory"
  controls    = ["CIS-Debian12-5.1.5"]
  remediation = "Set `Banner /etc/issue.net` with your site's legal notice.  (dev-sec sshd-46 prefers `Banner none`; this bundle follows CIS.)"
  input       = [collect.sshd_config.main]
  rego        = file("rego/banner.rego")
}

policy "sshd-max-startups" {
  title       = "MaxStartups throttles unauthenticated connections (10:30:60 or stricter by default)"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.18", "devsec-sshd-21"]
  remediation = "Set `MaxStartups` to the limit the finding names or stricter (10:30:60, unless an overlay sets another)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/max_startups.rego")
}

policy "sshd-max-sessions" {
  title       = "MaxSessions is limited (10 or less by default)"
  severity    = "low"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.17", "devsec-sshd-20"]
  remediation = "Set `MaxSessions` to the limit the finding names or lower (10, unless an overlay sets another)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/max_sessions.rego")
}

policy "sshd-use-pam" {
  title       = "PAM is used"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.22"]
  remediation = "Set `UsePAM yes`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/use_pam.rego")
}

policy "sshd-permit-user-environment" {
  title       = "Users cannot set the server's environment"
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.21", "devsec-sshd-17"]
  remediation = "Set `PermitUserEnvironment no`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/permit_user_environment.rego")
}

policy "sshd-gssapi" {
  title       = "GSSAPI authentication is disabled"
  severity    = "low"
  enforcement = "mandatory"
  controls    = ["CIS-Debian12-5.1.9", "devsec-sshd-33"]
  remediation = "Set `GSSAPIAuthentication no` unless Kerberos logins are required."
  input       = [collect.sshd_config.main]
  rego        = file("rego/gssapi.rego")
}

policy "sshd-access-limited" {
  title       = "SSH access is limited to named users or groups"
  severity    = "medium"
  enforcement = "advisory"
  controls    = ["CIS-Debian12-5.1.4"]
  remediation = "Add `AllowGroups sshusers` (or AllowUsers / DenyUsers / DenyGroups) naming who may log in."
  input       = [collect.sshd_config.main]
  rego        = file("rego/access_limited.rego")
}

policy "sshd-strict-modes" {
  title       = "StrictModes is enabled"
  severity    = "low"
  enforcement = "mandatory"
  controls    = ["devsec-sshd-11"]
  remediation = "Set `StrictModes yes`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/strict_modes.rego")
}

policy "sshd-config-valid" {
  title       = "sshd accepts its configuration"
  severity    = "high"
  enforcement = "mandatory"
  controls    = []
  remediation = "Fix the line shown; run `sshd -t` to confirm. sshd refuses to start (or restart) with this configuration."
  input       = [collect.sshd_config.main]
  rego        = file("rego/config_valid.rego")
}
