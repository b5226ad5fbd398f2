package artifact

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"testing/fstest"
)

// benchFS is a large bundle: 200 Rego files of 8 KiB.
func benchFS() fstest.MapFS {
	fsys := fstest.MapFS{"bundle.hcl": {Data: []byte("bundle \"b\" {}\n")}}
	body := make([]byte, 8<<10)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	for i := 0; i < 200; i++ {
		fsys[fmt.Sprintf("rego/p%03d.rego", i)] = &fstest.MapFile{Data: append([]byte(fmt.Sprintf("package p%d\n", i)), body...)}
	}
	return fsys
}

// BenchmarkOpen measures checking a signed archive (gunzip, untar, hash,
// verify the JWS) against the floor: hashing the same files' bytes.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	priv, pub := benchKey(b)
	data, err := Build(benchFS(), Manifest{Name: "b"})
	if err != nil {
		b.Fatal(err)
	}
	signed, err := Sign(ctx, data, priv)
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, f := range benchFS() {
		total += int64(len(f.Data))
	}
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			if _, err := Open(ctx, signed, "b.tar.gz", Options{Keys: pub}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sha256-floor", func(b *testing.B) {
		b.SetBytes(total)
		fsys := benchFS()
		for b.Loop() {
			for _, f := range fsys {
				sha256.Sum256(f.Data)
			}
		}
	})
}

// BenchmarkBuild measures building the archive (hash and best gzip).
func BenchmarkBuild(b *testing.B) {
	fsys := benchFS()
	for b.Loop() {
		if _, err := Build(fsys, Manifest{Name: "b"}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchKey(b *testing.B) (PrivateKey, []PublicKey) {
	privPEM, pubPEM, err := GenerateKey("ed25519")
	if err != nil {
		b.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		b.Fatal(err)
	}
	pub, err := ParsePublicKeys(pubPEM)
	if err != nil {
		b.Fatal(err)
	}
	return priv, pub
}
