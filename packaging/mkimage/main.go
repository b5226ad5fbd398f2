// Command mkimage assembles assay's container image without a Docker
// daemon or a base image to pull: the static binary, CA certificates and
// an /etc/passwd naming nobody, in one layer on an empty base, running as
// nobody (65534). It writes an OCI image layout and a docker-save tarball
// (`docker load` reads it, and so does `assay scan --image`), byte-identical
// on every run: every timestamp is -created (SOURCE_DATE_EPOCH), entries are
// sorted and owned by root.
//
//	go run ./packaging/mkimage -binary dist/bin/linux_amd64/assay -version v1.2.3 \
//	    -revision "$(git rev-parse HEAD)" -oci dist/assay-image-oci -tar dist/assay-image.tar
//
// packaging/Dockerfile builds the same image with Docker.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.binary, "binary", "", "the static assay `FILE` to put in /usr/bin")
	fs.StringVar(&o.caFile, "ca", "/etc/ssl/certs/ca-certificates.crt", "CA certificates `FILE` (Debian's ca-certificates bundle)")
	fs.StringVar(&o.arch, "arch", "amd64", "the binary's `GOARCH`")
	fs.StringVar(&o.version, "version", "dev", "the version for labels and the tag")
	fs.StringVar(&o.revision, "revision", "", "the source revision (commit) for labels")
	fs.StringVar(&o.source, "source", "https://github.com/assay-dev/assay", "the source repository URL for labels")
	created := fs.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "creation time, Unix seconds (default SOURCE_DATE_EPOCH, else 0)")
	ociDir := fs.String("oci", "", "write an OCI image layout to `DIR` (replaced)")
	tarPath := fs.String("tar", "", "write a docker-save tarball to `FILE`")
	repo := fs.String("repository", "ghcr.io/assay-dev/assay", "the repository of the tarball's tag (REPOSITORY:VERSION)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.binary == "" || (*ociDir == "" && *tarPath == "") {
		return errors.New("give -binary and at least one of -oci and -tar")
	}
	secs := int64(0)
	if *created != "" {
		var err error
		if secs, err = strconv.ParseInt(*created, 10, 64); err != nil {
			return fmt.Errorf("-created %q: want Unix seconds: %w", *created, err)
		}
	}
	o.created = time.Unix(secs, 0).UTC()

	img, err := build(o)
	if err != nil {
		return err
	}
	dg, err := img.Digest()
	if err != nil {
		return err
	}
	if *ociDir != "" {
		if err := os.RemoveAll(*ociDir); err != nil {
			return err
		}
		p, err := layout.Write(*ociDir, empty.Index)
		if err != nil {
			return fmt.Errorf("write %s: %w", *ociDir, err)
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refName: o.version})); err != nil {
			return fmt.Errorf("write %s: %w", *ociDir, err)
		}
	}
	if *tarPath != "" {
		tag, err := name.NewTag(*repo + ":" + tagOf(o.version))
		if err != nil {
			return fmt.Errorf("tag: %w", err)
		}
		if err := tarball.WriteToFile(*tarPath, tag, img); err != nil {
			return fmt.Errorf("write %s: %w", *tarPath, err)
		}
	}
	slog.Debug("image written", "digest", dg)
	fmt.Fprintln(stdout, dg)
	return nil
}
