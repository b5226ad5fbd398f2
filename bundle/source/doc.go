// Package source resolves what --bundle names into a checked bundle: a
// directory or a .tar.gz on disk, an https:// URL (cached by ETag), or an
// oci://REF in a registry. Remote archives go through artifact.Open
// (digests, signature, assay version) before the bundle loader sees a
// byte, and a cache directory keeps the last copy that loaded, served when
// the source cannot be reached (Options.Offline).
package source
