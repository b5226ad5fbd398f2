# openssh-vulnerabilities: known OpenSSH server vulnerabilities, judged on
# the OpenSSH the target runs (its package version, from dpkg, apk or rpm)
# together with the effective settings that expose or mitigate each one.
# Distributions backport fixes without changing the upstream release, so
# the verdict uses the fixed package version of the target's distribution
# release where data/openssh_fixed.json records one (with its advisory);
# elsewhere it falls back to the upstream release range and says so.
# docs/policies/openssh-vulnerabilities.md lists the policies and sources.

bundle "openssh-vulnerabilities" {
  version     = "1.0.0"
  description = "Known OpenSSH server vulnerabilities, backport-aware (Debian, Ubuntu, RHEL, Alpine)"
}

collect "sshd_config" "main" {
  path = "/etc/ssh/sshd_config"
}

policy "openssh-cve-2024-6387" {
  title       = "regreSSHion (CVE-2024-6387): sshd's SIGALRM handler race, remote code execution as root"
  description = "OpenSSH 8.5p1 up to 9.8p1 (exclusive) call async-signal-unsafe functions when LoginGraceTime expires. Mitigated, at the cost of a denial of service, by LoginGraceTime 0."
  severity    = "critical"
  enforcement = "mandatory"
  controls    = ["CVE-2024-6387"]
  remediation = "Update openssh-server to the fixed version of your distribution (or 9.8p1); until then set `LoginGraceTime 0`."
  input       = [collect.sshd_config.main]
  rego        = file("rego/cve_2024_6387.rego")
}

policy "openssh-cve-2023-48795" {
  title       = "Terrapin (CVE-2023-48795): prefix truncation of the SSH handshake"
  description = "Before 9.6p1 (strict key exchange), an attacker in the middle can drop messages at the start of the secure channel when chacha20-poly1305@openssh.com or an encrypt-then-MAC (-etm) MAC is enabled."
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CVE-2023-48795"]
  remediation = "Update openssh-server to the fixed version of your distribution (or 9.6p1); until then remove chacha20-poly1305@openssh.com from Ciphers and every *-etm@openssh.com MAC from MACs."
  input       = [collect.sshd_config.main]
  rego        = file("rego/cve_2023_48795.rego")
}

policy "openssh-cve-2023-38408" {
  title       = "ssh-agent PKCS#11 provider loading (CVE-2023-38408): remote code execution through a forwarded agent"
  description = "ssh-agent before 9.3p2 loads shared libraries a forwarded-agent peer names. It concerns hosts where the agent is installed; sshd's AllowAgentForwarding is how a remote peer reaches it."
  severity    = "high"
  enforcement = "mandatory"
  controls    = ["CVE-2023-38408"]
  remediation = "Update the OpenSSH client package (ssh-agent) to the fixed version of your distribution (or 9.3p2); set `AllowAgentForwarding no` where agents need not be forwarded."
  input       = [collect.sshd_config.main]
  rego        = file("rego/cve_2023_38408.rego")
}

policy "openssh-cve-2025-26466" {
  title       = "SSH2_MSG_PING memory and CPU exhaustion (CVE-2025-26466)"
  description = "OpenSSH 9.5p1 up to 9.9p2 (exclusive) let an unauthenticated client make sshd allocate memory without bound during key exchange. LoginGraceTime, MaxStartups and PerSourcePenalties limit it."
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CVE-2025-26466"]
  remediation = "Update openssh-server to the fixed version of your distribution (or 9.9p2)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/cve_2025_26466.rego")
}

policy "openssh-cve-2021-41617" {
  title       = "AuthorizedKeysCommand runs with sshd's supplementary groups (CVE-2021-41617)"
  description = "OpenSSH 6.2p1 up to 8.8p1 (exclusive) start AuthorizedKeysCommand and AuthorizedPrincipalsCommand without dropping sshd's supplementary groups; it matters only when one of them is configured with a user other than root."
  severity    = "medium"
  enforcement = "mandatory"
  controls    = ["CVE-2021-41617"]
  remediation = "Update openssh-server to the fixed version of your distribution (or 8.8p1)."
  input       = [collect.sshd_config.main]
  rego        = file("rego/cve_2021_41617.rego")
}

policy "openssh-version-known" {
  title       = "The OpenSSH version of the target is known"
  description = "Every other policy of this bundle needs the version: from the package database, else the sshd binary."
  severity    = "low"
  enforcement = "advisory"
  controls    = []
  remediation = "Scan the root filesystem or image that holds the package database (var/lib/dpkg, lib/apk/db, var/lib/rpm) or /usr/sbin/sshd."
  input       = [collect.sshd_config.main]
  rego        = file("rego/version_known.rego")
}
