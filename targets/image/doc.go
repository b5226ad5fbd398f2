// Package image makes a container image a target.Target: a read-only,
// confined file system over the image's flattened layers, without extracting
// anything to disk.
//
// Open accepts a docker-save tarball path, "oci:DIR" (an OCI image layout,
// with "@sha256:…" or ":tag" selection) or a registry reference
// (go-containerregistry's remote package, HTTPS only unless
// Options.Insecure), which "docker://" or "registry://" forces. A
// reference that looks like a path (LooksLikePath) and does not exist is
// an error wrapping fs.ErrNotExist, never a pull.
//
// Opening reads each layer once, to the end of its blob (layers are scanned
// in parallel into compact records, then applied bottom layer first), and
// builds an in-memory index of the flattened tree as a container runtime
// would unpack it: later layers win, ".wh.NAME" and ".wh..wh..opq" whiteouts
// hide what lower layers put there, hard links resolve within the image. For
// each regular file the index records where its bytes are:
//
//   - uncompressed layers (docker save) are read in place, with pread at the
//     file's offset in the blob; indexing seeks over contents;
//   - small files (≤ Options.SmallFileSize, 64 KiB) of compressed layers are
//     copied while indexing into one unlinked temporary spill file (bounded
//     by Options.SpillLimit) and read from it, so reading thousands of small
//     files costs one pread each rather than a decompression each;
//   - large files of compressed layers are read by decompressing the layer
//     again; each layer keeps its most recently used decompressors where the
//     last read left them, so reading the tree in order (which is the tar's
//     order) decompresses each layer about once per pass.
//
// Layers are untrusted: names with "..", absolute names, links out of the
// root, hard links to later layers, devices, FIFOs, sparse and compression
// bombs are skipped, confined or bounded, and every skip is reported by
// Image.Skips (the first ones, each bounded, with counts per reason in
// Image.SkipsByReason). A name over PATH_MAX is refused as soon as its header
// is read; only a prefix of it is kept. So is the rest of an image: every
// file of an OCI layout is opened inside the layout directory (os.Root) as a
// regular file only, and its metadata (oci-layout, index.json, manifests) is
// read up to 16 MiB under the caller's context and checked against its
// digest. Paths and symbolic links resolve inside the image root as in
// a chroot, with ELOOP after 40 links. A malformed image fails Open with an
// error wrapping ErrMalformed; one over the limits with ErrTooLarge; a
// registry failure with ErrFetch.
package image
