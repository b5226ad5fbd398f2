# CIS Level 1 (server) for the built-in ssh-baseline bundle.
#
# Based on: CIS Debian Linux 12 Benchmark v1.1.0, section 5.1 "Configure
# SSH Server", Level 1 - Server profile. The values are assay's reading of
# those recommendations, written for this bundle's params; nothing here is
# the benchmark's text. Check the levels and values against your licensed
# copy before an audit relies on them.
#
#   assay scan --root /mnt/rootfs --overlay examples/overlays/cis-level1.hcl
overlay "cis-debian12-l1" {
  description = "CIS Debian 12 v1.1.0 section 5.1, Level 1 - Server"

  bundle "ssh-baseline" {
    # Pinned, so the profile holds whatever the bundle's defaults become.
    params = {
      max_auth_tries             = 4                   # 5.1.16: 4 or less
      login_grace_time           = 60                  # 5.1.13: 1 to 60 seconds
      max_sessions               = 10                  # 5.1.17: 10 or less
      max_startups               = [10, 30, 60]        # 5.1.18: 10:30:60 or stricter
      log_levels                 = ["VERBOSE", "INFO"] # 5.1.14
      client_alive_interval_min  = 1                   # 5.1.7: both greater than zero
      client_alive_count_max_min = 1
    }

    # Level 2 - Server recommendations (Level 1 only on workstations).
    policy "sshd-disable-forwarding" {
      enabled = false
      reason  = "CIS Debian 12 5.1.8 is Level 2 for servers; this is the Level 1 server profile"
    }
    policy "sshd-gssapi" {
      enabled = false
      reason  = "CIS Debian 12 5.1.9 is Level 2 for servers; this is the Level 1 server profile"
    }

    # dev-sec controls that CIS Debian 12 section 5.1 does not make: this
    # profile measures CIS alone (cis-level2.hcl explains the same).
    policy "sshd-password-auth" {
      enabled = false
      reason  = "not a CIS Debian 12 section 5.1 recommendation (dev-sec sshd-27); the CIS profile measures CIS alone"
    }
    policy "sshd-authentication-methods" {
      enabled = false
      reason  = "not a CIS Debian 12 section 5.1 recommendation (dev-sec sshd-27); the CIS profile measures CIS alone"
    }
    policy "sshd-kbd-interactive" {
      enabled = false
      reason  = "not a CIS Debian 12 section 5.1 recommendation (dev-sec sshd-29); the CIS profile measures CIS alone"
    }
    policy "sshd-x11-forwarding" {
      enabled = false
      reason  = "CIS Debian 12 covers forwarding with DisableForwarding (5.1.8), not X11Forwarding alone"
    }
    policy "sshd-tcp-forwarding" {
      enabled = false
      reason  = "CIS Debian 12 covers forwarding with DisableForwarding (5.1.8), not AllowTcpForwarding alone"
    }
    policy "sshd-host-keys" {
      enabled = false
      reason  = "CIS Debian 12 5.1.2 and 5.1.3 check host key file permissions, not key types (dev-sec sshd-14)"
    }
    policy "sshd-strict-modes" {
      enabled = false
      reason  = "not a CIS Debian 12 section 5.1 recommendation (dev-sec sshd-11); the CIS profile measures CIS alone"
    }
  }
}
