// Package sshd is the sshd_config collector: it computes the effective
// OpenSSH server configuration the way sshd itself does (`sshd -T`), from the
// files of a target, for any number of connection specifications
// (`sshd -T -C user=…,host=…`).
//
// The model follows sshd's own two passes: the first pass reads the main
// file and its Includes with every global keyword applied first-wins and
// Match blocks only checked (except "Match all"); defaults of the target's
// OpenSSH version fill what is unset; the second pass re-reads the files with
// the connection spec and overlays what the matching Match blocks set. Each
// document's "settings" is what `sshd -T` would print, keyword by keyword;
// "sources" says which file and line won; "errors" lists what sshd would
// complain about, with file and line.
package sshd
