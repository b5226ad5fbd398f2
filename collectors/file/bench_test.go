package file

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchTree builds the benchmarks' tree in a directory the benchmark removes.
func benchTree(b *testing.B) (string, error) {
	dir := b.TempDir()
	// 20,000 files in 400 directories, 4 KiB each (80 MiB).
	data := []byte(strings.Repeat("PermitRootLogin no\n", 4096/19))
	for d := range 400 {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", d%20), fmt.Sprintf("e%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return "", err
		}
		for f := range 50 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.conf", f)), data, 0o644); err != nil {
				return "", err
			}
		}
	}
	return dir, nil
}

func benchRoot(b *testing.B) string {
	dir, err := benchTree(b)
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkWalk is walk + name match over 20,000 files (bench/file.sh runs
// 200,000 against find).
func BenchmarkWalk(b *testing.B) {
	tgt := openDir(b, benchRoot(b))
	c := mustCollector(b, `
  paths = ["/"]
  name = "^f4[0-9]\\.conf$"`)
	for b.Loop() {
		if rec := collect(b, c, tgt); len(rec.docs) != 4000 {
			b.Fatalf("%d documents", len(rec.docs))
		}
	}
	b.ReportMetric(20000*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkHash is sha256 over 80 MiB of 4 KiB files, on all cores.
func BenchmarkHash(b *testing.B) {
	tgt := openDir(b, benchRoot(b))
	c := mustCollector(b, `
  paths = ["/"]
  hashes = ["sha256"]`)
	b.SetBytes(20000 * int64(len(strings.Repeat("PermitRootLogin no\n", 4096/19))))
	for b.Loop() {
		if rec := collect(b, c, tgt); len(rec.docs) != 20000 {
			b.Fatalf("%d documents", len(rec.docs))
		}
	}
}

// BenchmarkContentMacroal is the authorized_keys check over the same tree.
func BenchmarkContentMacroal(b *testing.B) {
	tgt := openDir(b, benchRoot(b))
	c := mustCollector(b, `
  paths = ["/"]
  content = ["^(#.*|\\s*|PermitRootLogin no)$"]
  macroal = true
  mismatch = ["content"]`)
	for b.Loop() {
		collect(b, c, tgt)
	}
}
