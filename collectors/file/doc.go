// Package file is the "file" collector: it walks the target's file systems
// the way Mozilla MIG's file module did (paths, name, content, macroal,
// mismatch, size, mode, mtime, hashes) and emits one document of kind "file"
// per file that matches the search, with the facts a policy needs to judge
// it: metadata, hashes, optionally the content lines, and which lines matched
// the content regexes (so that a finding can point at path:line).
//
// A collect block is one search. Its roots are walked once each, iteratively
// (no recursion, bounded file descriptors), never following symbolic links
// unless follow_symlinks is set, and then only inside the target root. On
// host and --root targets the walk uses *at(2) system calls relative to the
// target root; on other targets (images) it uses the io/fs interfaces.
//
// docs/collectors/file.md is the reference for the block's attributes, the
// document fields and every difference from MIG.
package file
