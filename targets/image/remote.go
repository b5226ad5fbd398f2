package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ErrFetch is wrapped when a registry cannot be reached or refuses a request:
// the scan failed, the image was not judged malformed.
var ErrFetch = errors.New("fetch image")

// openRemote pulls an image's layers from a registry into unlinked temporary
// files (the compressed blobs, as a pull would store them; go-containerregistry
// verifies each blob's digest as it is read to its end) and serves them from
// there.
func openRemote(ctx context.Context, ref string, opts Options) (_ *source, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("image %s: %w", ref, err)
		}
	}()
	var nopts []name.Option
	if opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("not a file, oci:DIR or registry reference: %w", err)
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(httpsOnly{next: remote.DefaultTransport, insecure: opts.Insecure}),
	}
	if opts.Platform != "" {
		p, err := wantPlatform(opts.Platform)
		if err != nil {
			return nil, err
		}
		ropts = append(ropts, remote.WithPlatform(*p))
	}
	img, err := remote.Image(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	dg, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, malformed("layers: %v", err)
	}
	cfg, err := remoteConfig(img)
	if err != nil {
		return nil, err
	}
	src := &source{digest: dg.String(), config: imageConfig(cfg)}
	defer func() {
		if err != nil {
			closeAll(src.closers)
		}
	}()
	var total int64
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return nil, malformed("layer digest: %v", err)
		}
		size, err := l.Size()
		if err != nil {
			return nil, malformed("layer %s size: %v", d, err)
		}
		if total += size; total > opts.MaxSize {
			return nil, fmt.Errorf("compressed layers exceed %d bytes: %w", opts.MaxSize, ErrTooLarge)
		}
		f, err := download(l.Compressed, size, opts.TempDir)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", d, err)
		}
		src.closers = append(src.closers, f)
		src.layers = append(src.layers, &layer{desc: d.String(), blob: f, size: size})
	}
	return src, nil
}

// download copies a blob of the announced size into an unlinked temporary
// file. Reading to the end and closing makes go-containerregistry check the
// digest.
func download(open func() (io.ReadCloser, error), size int64, dir string) (*os.File, error) {
	rc, err := open()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	f, err := os.CreateTemp(dir, "assay-layer-*")
	if err != nil {
		rc.Close()
		return nil, err
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, io.LimitReader(rc, size+1))
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = malformed("blob is %d bytes or more, manifest says %d", n, size)
	}
	if err != nil {
		f.Close()
		if !errors.Is(err, ErrMalformed) {
			err = fmt.Errorf("%w: %w", ErrFetch, err)
		}
		return nil, err
	}
	return f, nil
}

// ErrPlainHTTP is wrapped when a registry would be reached over plain HTTP
// without Options.Insecure: the user's to allow, not a failed fetch.
var ErrPlainHTTP = errors.New("refusing plain HTTP")

// httpsOnly refuses plain HTTP unless the user asked for it:
// go-containerregistry falls back to HTTP for localhost on its own.
type httpsOnly struct {
	next     http.RoundTripper
	insecure bool
}

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !t.insecure {
		return nil, fmt.Errorf("%w to %s (allow it with --insecure-registry)", ErrPlainHTTP, req.URL.Host)
	}
	return t.next.RoundTrip(req)
}
