// Command imageread is a BENCH-ONLY driver, not part of assay: it opens an
// image with targets/image, walks the flattened tree and reads
// every regular file to the end, which is the worst case of what a scan's
// collectors do. bench/image.sh uses it until `assay scan --image` is the
// thing to measure; it prints what it read on stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"time"

	"github.com/assay-dev/assay/targets/image"
)

func main() {
	spill := flag.Int64("spill-limit", 0, "image.Options.SpillLimit (0: default, negative: no spill)")
	small := flag.Int64("small", 0, "image.Options.SmallFileSize (0: default, 64 KiB)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: imageread [-spill-limit N] [-small N] IMAGE")
	}
	start := time.Now()
	img, err := image.Open(context.Background(), flag.Arg(0), image.Options{SpillLimit: *spill, SmallFileSize: *small})
	if err != nil {
		log.Fatal(err)
	}
	defer img.Close()
	indexed := time.Since(start)
	var files, bytes int64
	buf := make([]byte, 256<<10)
	err = fs.WalkDir(img, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := img.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
		files++
		bytes += n
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "imageread: %d files, %d bytes, %d skips; index %v, total %v\n",
		files, bytes, img.SkipsTotal(), indexed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
