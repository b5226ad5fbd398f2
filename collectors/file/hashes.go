package file

import (
	"crypto/md5"  //nolint:gosec // integrity inventory, not security: users ask for md5 by name
	"crypto/sha1" //nolint:gosec // same
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"hash"
	"sort"
)

// hashAlgos are the digests the collector computes, by the name used in
// bundles and documents.
var hashAlgos = map[string]struct {
	new    func() hash.Hash
	hexLen int
}{
	"md5":      {md5.New, 32},
	"sha1":     {sha1.New, 40},
	"sha256":   {sha256.New, 64},
	"sha384":   {sha512.New384, 96},
	"sha512":   {sha512.New, 128},
	"sha3_256": {func() hash.Hash { return sha3.New256() }, 64},
	"sha3_512": {func() hash.Hash { return sha3.New512() }, 128},
}

func hashNames() []string {
	out := make([]string, 0, len(hashAlgos))
	for k := range hashAlgos {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hashFamily maps MIG's mismatch names for hash checks to the algorithms they
// cover.
var hashFamily = map[string][]string{
	"hashes": {"md5", "sha1", "sha256", "sha384", "sha512", "sha3_256", "sha3_512"},
	"md5":    {"md5"},
	"sha1":   {"sha1"},
	"sha2":   {"sha256", "sha384", "sha512"},
	"sha3":   {"sha3_256", "sha3_512"},
}
