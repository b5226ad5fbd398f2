# dev-sec ssh-baseline for the built-in ssh-baseline bundle.
#
# Based on: the dev-sec.io SSH hardening baseline (the InSpec profile
# github.com/dev-sec/ssh-baseline, and the defaults of the ssh_hardening
# role of github.com/dev-sec/ansible-collection-hardening that it checks)
# for OpenSSH 8.5 and later. The policies' controls name the dev-sec
# control ids (devsec-sshd-NN). Values are assay's reading of those
# projects, written for this bundle's params.
#
#   assay scan --root /mnt/rootfs --overlay examples/overlays/dev-sec.hcl
overlay "dev-sec" {
  description = "dev-sec.io ssh-baseline (OpenSSH 8.5 and later)"

  bundle "ssh-baseline" {
    params = {
      max_auth_tries             = 2            # sshd-19
      login_grace_time           = 30           # sshd-18
      max_sessions               = 10           # sshd-20
      max_startups               = [10, 30, 60] # sshd-21
      log_levels                 = ["VERBOSE"]  # sshd-13
      client_alive_interval      = 300          # sshd-36
      client_alive_count_max     = 3            # sshd-37
      client_alive_count_max_min = 1

      # sshd-01: the ciphers the role configures
      ciphers_allowed = [
        "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
        "aes256-ctr", "aes192-ctr", "aes128-ctr",
      ]
      # sshd-03: encrypt-then-MAC and SHA-2 only (no umac-128@openssh.com)
      macs_allowed = [
        "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com",
        "hmac-sha2-512", "hmac-sha2-256",
      ]
      # sshd-02: post-quantum hybrids, curve25519 (both names of each) and
      # group exchange with SHA-256; no NIST curves, no fixed groups
      kex_algorithms_allowed = [
        "mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
        "curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group-exchange-sha256",
      ]
      # sshd-14: the host keys the role generates
      host_key_types_allowed = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]
    }

    # dev-sec shows no banner unless asked (ssh_banner: false).
    policy "sshd-banner" {
      enabled = false
      reason  = "dev-sec ssh-baseline shows no banner by default; CIS-only recommendation (5.1.5)"
    }
    # CIS recommendations that dev-sec does not make.
    policy "sshd-access-limited" {
      enabled = false
      reason  = "CIS-only recommendation (5.1.4); dev-sec ssh-baseline does not limit users or groups"
    }
    policy "sshd-disable-forwarding" {
      enabled = false
      reason  = "CIS-only recommendation (5.1.8); dev-sec checks TCP and X11 forwarding one by one (sshd-39, sshd-42)"
    }
  }
}
