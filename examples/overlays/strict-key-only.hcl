# A strict, key-only SSH profile for the built-in ssh-baseline and
# authorized-keys bundles: no passwords, no root, public keys only,
# Ed25519 keys only, idle sessions cut after 300 seconds.
#
# Based on: the key-only guidance of the dev-sec.io ssh-baseline
# (sshd-27, sshd-29) and of the CIS benchmarks (PermitRootLogin no), made
# stricter: only Ed25519 host and user keys (Ed25519 also in FIDO
# security keys), AuthenticationMethods publickey, ClientAliveInterval
# 300 and ClientAliveCountMax 0. Note that since OpenSSH 8.2 a
# ClientAliveCountMax of 0 no longer disconnects an unresponsive client:
# it turns the check off and leaves ClientAliveInterval probing without
# consequence; sshd then relies on TCP keepalives. Keep it at 0 only if
# your policy asks for exactly that, and set client_alive_count_max and
# client_alive_count_max_min to 1 otherwise.
#
#   assay scan --root /mnt/rootfs --overlay examples/overlays/strict-key-only.hcl
overlay "strict-key-only" {
  description = "Key-only SSH: no passwords or root, Ed25519 keys, 300 s idle cut"

  bundle "ssh-baseline" {
    params = {
      max_auth_tries             = 3
      login_grace_time           = 30
      client_alive_interval      = 300
      client_alive_interval_min  = 300
      client_alive_count_max     = 0
      client_alive_count_max_min = 0
      log_levels                 = ["VERBOSE"]
      host_key_types_allowed     = ["ssh-ed25519"]
      host_key_algorithms_allowed = [
        "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com",
        "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
      ]
    }

    # Passwords and keyboard-interactive logins are the profile's point.
    policy "sshd-password-auth" { severity = "critical" }
    policy "sshd-permit-root-login" { severity = "critical" }
    policy "sshd-authentication-methods" { severity = "high" }
    policy "sshd-kbd-interactive" { severity = "high" }
  }

  bundle "authorized-keys" {
    params = {
      allowed_key_types = ["ssh-ed25519", "sk-ssh-ed25519@openssh.com"]
    }
  }
}
