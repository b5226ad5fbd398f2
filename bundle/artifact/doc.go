// Package artifact turns a bundle directory into a versioned, signed
// artifact and back: a reproducible .tar.gz with a manifest (name, version,
// revision, the assay version it needs, the SHA-256 of every file) and,
// once signed, a .signatures.json in OPA's bundle signing format (a JWS over
// every file's digest, made with an ed25519, RSA or ECDSA key).
//
// Open is the only way in: it reads an archive in memory, refuses unsafe
// entries, checks every digest against the manifest and the signature, and
// checks the assay version, before a single file reaches the bundle loader.
package artifact
