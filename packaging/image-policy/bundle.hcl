bundle "assay-image" {
  version     = "1.0.0"
  description = "What assay's own container image must be: unprivileged and without a shell (make dist-test scans it with these)"
}

# How the image runs: its configuration, not its files.
collect "image_config" "main" {}

# The users the configuration may name.
collect "file" "passwd" {
  paths   = ["/etc/passwd"]
  capture = true
}

# Anything a `docker exec … sh` or an exploit could use as a shell.
collect "file" "shells" {
  paths           = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin"]
  name            = "^(sh|bash|dash|ash|zsh|ksh|mksh|csh|tcsh|fish|busybox|toybox)$"
  maxdepth        = 1
  follow_symlinks = true
}

policy "image-non-root" {
  title       = "The image runs as an unprivileged user"
  description = "The configured USER is neither empty nor root, by name or number, and a name resolves, in the image's own /etc/passwd, to a user other than uid 0. A numeric user is preferred: Kubernetes' runAsNonRoot can only check a number."
  severity    = "high"
  enforcement = "mandatory"
  remediation = "Set USER 65534:65534 (nobody) in the Dockerfile, or the image's config.User."
  mode        = "aggregate"
  input       = [collect.image_config.main, collect.file.passwd]
  rego        = file("rego/non_root.rego")
}

policy "image-no-shell" {
  title       = "The image has no shell"
  description = "A scanner's image needs its binary and CA certificates only; a shell in it is attack surface and a way around its entrypoint."
  severity    = "medium"
  enforcement = "mandatory"
  remediation = "Build FROM scratch (or a distroless base) and copy the static binary in."
  mode        = "aggregate"
  input       = [collect.image_config.main, collect.file.shells]
  rego        = file("rego/no_shell.rego")
}
