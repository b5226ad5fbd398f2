# CIS Level 2 (server) for the built-in ssh-baseline bundle.
#
# Based on: CIS Debian Linux 12 Benchmark v1.1.0, section 5.1 "Configure
# SSH Server", Level 2 - Server profile, which holds every Level 1
# recommendation and adds DisableForwarding (5.1.8) and
# GSSAPIAuthentication (5.1.9). The values are assay's reading of those
# recommendations, written for this bundle's params; nothing here is the
# benchmark's text. Check them against your licensed copy.
#
# An overlay changes params, severities and whether a policy runs, not its
# enforcement: sshd-disable-forwarding stays advisory in the bundle, so
# Level 2 raises its severity instead, and a gate on --fail-on sees it
# only as an advisory finding. Make it gate with a bundle of your own if
# you need that.
#
#   assay scan --root /mnt/rootfs --overlay examples/overlays/cis-level2.hcl
overlay "cis-debian12-l2" {
  description = "CIS Debian 12 v1.1.0 section 5.1, Level 2 - Server"

  bundle "ssh-baseline" {
    params = {
      max_auth_tries             = 4
      login_grace_time           = 60
      max_sessions               = 10
      max_startups               = [10, 30, 60]
      log_levels                 = ["VERBOSE", "INFO"]
      client_alive_interval_min  = 1
      client_alive_count_max_min = 1
    }

    policy "sshd-disable-forwarding" { severity = "high" }
    policy "sshd-gssapi" { severity = "medium" }

    # dev-sec controls that CIS Debian 12 section 5.1 does not make.
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
