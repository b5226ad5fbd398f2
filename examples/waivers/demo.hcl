# Accepted risks of the demo root filesystem (examples/demo/rootfs), for
#   assay scan --root examples/demo/rootfs --waivers examples/waivers/demo.hcl
# docs/waivers.md is the reference. Each waiver says what it accepts,
# why, who accepted it and until when; past its expiry its findings fail
# the scan again.

# The deploy user's key runs one forced command for the release job.
waiver "deploy-forced-command" {
  policy        = "authorized-keys/authorized-keys-lines"
  paths         = ["/home/deploy/.ssh/authorized_keys"]
  justification = "The release job's key may only run rsync (command=), reviewed with each release"
  approved_by   = "platform@example.com"
  expires       = "2027-06-30"
  ticket        = "OPS-812"
}

# Root logs in until the bastion replaces the break-glass path.
waiver "root-login-break-glass" {
  policy        = "ssh-baseline/sshd-permit-root-login"
  paths         = ["/etc/ssh/sshd_config"]
  justification = "Break-glass access until the bastion is live; root's keys are reviewed quarterly"
  approved_by   = "secops@example.com"
  expires       = "2027-03-31"
  ticket        = "SEC-1234"
}
