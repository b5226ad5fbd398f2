bundle "image-baseline" {
  version     = "1.0.0"
  description = "What a container image must be before it ships: a known, supported base"
}

# Host facts of an image come from the image itself: /etc/os-release,
# /etc/hostname. They are also at data.assay.host for every policy.
collect "host" "image" {}

policy "image-os-release" {
  title       = "The image declares its operating system"
  description = "The image has an /etc/os-release (or /usr/lib/os-release) naming its distribution, so that its packages can be tracked."
  severity    = "medium"
  enforcement = "mandatory"
  remediation = "Build FROM a distribution base image, or add an os-release file to a scratch image."
  input       = [collect.host.image]
  rego        = file("rego/os_release.rego")
}

policy "image-supported-os" {
  title       = "The base distribution is a supported release"
  description = "Debian before 12, Ubuntu before 22.04 and Alpine before 3.19 no longer get security updates."
  severity    = "high"
  enforcement = "mandatory"
  remediation = "Rebuild on a supported base image (debian:12, ubuntu:24.04, alpine:3.20)."
  input       = [collect.host.image]
  rego        = file("rego/supported_os.rego")
}
