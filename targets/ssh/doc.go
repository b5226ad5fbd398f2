// Package ssh is the target of a host assay is not installed on: a running
// machine reached over SSH (--target ssh://[user@]host[:port]) whose files
// collectors read over SFTP, read-only, through the same target.Target as a
// root filesystem.
//
// Host keys are always verified against known_hosts files (hashed entries,
// @cert-authority and @revoked understood): an unknown or changed key is an
// error that names its fingerprint, and nothing disables the check.
// Authentication uses the keys of --identity files (with their OpenSSH
// certificates) and ssh-agent; the agent is never forwarded.
//
// Every SFTP operation has a deadline: a server that stops answering
// (stopped, hung, or a link gone silent) has its connection closed, every
// later read fails at once with the reason, and Err reports it, so that the
// pipeline marks the target failed rather than judging half of it.
package ssh
