package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/internal/safefile"
)

// DefaultTimeout bounds fetching one remote bundle.
const DefaultTimeout = 2 * time.Minute

// Options say how sources are fetched and what they must satisfy.
type Options struct {
	// Keys, when set, are the trusted signing keys: every bundle must be a
	// signed archive (directories are refused).
	Keys []artifact.PublicKey
	// AssayVersion is the running version, for the manifest's
	// assay_version.
	AssayVersion string
	// CacheDir keeps copies of remote bundles (ETags, registry digests);
	// empty means DefaultCacheDir().
	CacheDir string
	// Offline serves the cached copy of a remote bundle that cannot be
	// fetched (network down, timeout, server error), and says so. A
	// fetched bundle that fails its checks is never replaced by the cache.
	Offline bool
	// Timeout bounds the fetch of one remote source; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// HTTPClient fetches https:// sources; nil means a client with
	// connection, TLS and header timeouts.
	HTTPClient *http.Client
	// Remote are extra go-containerregistry options for oci:// sources
	// (tests pass a transport). Credentials come from the Docker keychain.
	Remote []remote.Option
	// Logger receives a warning when a cached copy is served.
	Logger *slog.Logger
	// Loader loads what was fetched: it knows the collector types and
	// data kinds bundles may name.
	Loader *bundle.Loader
}

// DefaultCacheDir is $XDG_CACHE_HOME/assay/bundles (os.UserCacheDir).
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "assay-cache", "bundles")
	}
	return filepath.Join(dir, "assay", "bundles")
}

// Resolved is a resolved source.
type Resolved struct {
	// Source is the source as named.
	Source string
	// Dir is set for a local directory, loaded in place.
	Dir string
	// Artifact is set for an archive, checked and in memory.
	Artifact *artifact.Artifact
	// Stale is set when the source could not be fetched and the cached
	// copy is used; StaleReason says why and since when.
	Stale       bool
	StaleReason string

	// commit stores a fetched copy in the cache once it loaded.
	commit func() error
}

// IsRemote reports whether a source names a URL or a registry.
func IsRemote(src string) bool {
	return strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "oci://")
}

// Resolve fetches and checks one source. Its error names the source and,
// for a digest or signature failure, the file that differs.
func Resolve(ctx context.Context, src string, opts Options) (*Resolved, error) {
	r := &resolver{opts: opts}
	switch {
	case strings.HasPrefix(src, "oci://"):
		return r.remote(ctx, src, r.fetchOCI)
	case strings.HasPrefix(src, "https://"), strings.HasPrefix(src, "http://"):
		return r.remote(ctx, src, r.fetchHTTP)
	}
	return r.local(ctx, src)
}

type resolver struct {
	opts Options
}

func (r *resolver) artifactOptions() artifact.Options {
	return artifact.Options{Keys: r.opts.Keys, AssayVersion: r.opts.AssayVersion}
}

func (r *resolver) local(ctx context.Context, src string) (*Resolved, error) {
	fi, err := os.Stat(src)
	if err != nil {
		if len(r.opts.Keys) > 0 {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		return &Resolved{Source: src, Dir: src}, nil // bundle.Load says why
	}
	// Only a regular file is opened here: a FIFO named like an archive would
	// block; bundle.Load refuses it with a message.
	if fi.IsDir() || !fi.Mode().IsRegular() || !bundle.IsArchive(src) {
		if len(r.opts.Keys) > 0 {
			return nil, fmt.Errorf("%s is not a signed bundle archive: with --verify-key, bundles must be archives made by 'assay bundle build' and 'assay bundle sign'", src)
		}
		return &Resolved{Source: src, Dir: src}, nil
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := artifact.ReadLimited(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	a, err := artifact.Open(ctx, data, src, r.artifactOptions())
	if err != nil {
		return nil, err
	}
	return &Resolved{Source: src, Artifact: a}, nil
}

// fetchFunc fetches a remote source. cached is the copy in the cache, if
// any (for conditional requests); it returns the archive bytes and what to
// remember about them (an ETag, a digest).
type fetchFunc func(ctx context.Context, src string, cached *entry) (data []byte, meta string, err error)

// remote fetches a source through the cache: a fetch failure falls back on
// the cached copy when Offline; a check failure never does.
func (r *resolver) remote(ctx context.Context, src string, fetch fetchFunc) (*Resolved, error) {
	e := r.entry(src)
	cached := e.read()
	timeout := r.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	fctx, cancel := context.WithTimeout(ctx, timeout)
	data, meta, err := fetch(fctx, src, cached)
	if err == nil && fctx.Err() != nil {
		// The deadline passed while the answer came: what arrived may be
		// what the cancelled exchange left of it (an empty body ended
		// early), not the bundle.
		err = fctx.Err()
	}
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(fctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		if !r.opts.Offline || cached == nil {
			return nil, fmt.Errorf("cannot fetch it: %w", err)
		}
		a, oerr := artifact.Open(ctx, cached.data, redact(src), r.artifactOptions())
		if oerr != nil {
			return nil, fmt.Errorf("cannot fetch it: %w; the cached copy is no good either: %w", err, oerr)
		}
		reason := fmt.Sprintf("%s cannot be fetched (%v); using the copy cached %s", redact(src), err, cached.modTime.Format(time.RFC3339))
		if r.opts.Logger != nil {
			r.opts.Logger.Warn("bundle source unreachable, using the cached copy", "source", redact(src), "cached", cached.modTime.Format(time.RFC3339), "err", err)
		}
		return &Resolved{Source: src, Artifact: a, Stale: true, StaleReason: reason}, nil
	}
	a, err := artifact.Open(ctx, data, redact(src), r.artifactOptions())
	if err != nil {
		return nil, err
	}
	f := &Resolved{Source: src, Artifact: a}
	if cached == nil || cached.meta != meta || string(cached.data) != string(data) {
		f.commit = func() error { return e.write(data, meta) }
	}
	return f, nil
}

// entry is one source's place in the cache: DIR/<sha256 of the source>/
// holding bundle.tar.gz and meta (an ETag or a digest).
type entry struct {
	dir     string
	data    []byte
	meta    string
	modTime time.Time
}

func (r *resolver) entry(src string) *entry {
	dir := r.opts.CacheDir
	if dir == "" {
		dir = DefaultCacheDir()
	}
	sum := sha256.Sum256([]byte(src))
	return &entry{dir: filepath.Join(dir, hex.EncodeToString(sum[:16]))}
}

// read returns the cached copy, or nil.
func (e *entry) read() *entry {
	f, err := os.Open(filepath.Join(e.dir, "bundle.tar.gz"))
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	data, err := artifact.ReadLimited(f)
	if err != nil {
		return nil
	}
	meta, _ := os.ReadFile(filepath.Join(e.dir, "meta"))
	return &entry{dir: e.dir, data: data, meta: strings.TrimSpace(string(meta)), modTime: fi.ModTime()}
}

// write replaces the cached copy atomically (rename), meta first removed
// so that a crash between the two never pairs new meta with old data. The
// directory must be private (safefile.MkdirPrivate): later runs trust what
// is in it, and a cache under /tmp made first by another user would let
// them steer these writes.
func (e *entry) write(data []byte, meta string) error {
	if err := safefile.MkdirPrivate(e.dir); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	os.Remove(filepath.Join(e.dir, "meta"))
	if err := safefile.WriteBytes(filepath.Join(e.dir, "bundle.tar.gz"), 0o600, data); err != nil {
		return err
	}
	return safefile.WriteBytes(filepath.Join(e.dir, "meta"), 0o600, []byte(meta+"\n"))
}

// LoadAll resolves and loads every source, and checks that the bundles can
// run together (bundle.Conflicts). A source that cannot be fetched or
// fails its checks becomes an error diagnostic and contributes no bundle.
// A bundle served from the cache gets a warning diagnostic. Copies of
// remote bundles are cached only when every bundle loaded without error.
func LoadAll(ctx context.Context, sources []string, opts Options) ([]*bundle.Bundle, hcl.Diagnostics) {
	var (
		bundles []*bundle.Bundle
		diags   hcl.Diagnostics
		fetched []*Resolved
	)
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Loading cancelled", Detail: err.Error()})
			break
		}
		f, err := Resolve(ctx, src, opts)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Bundle refused",
				Detail:   fmt.Sprintf("%s: %s.", redact(src), strings.TrimSuffix(err.Error(), ".")),
			})
			continue
		}
		var (
			b    *bundle.Bundle
			more hcl.Diagnostics
		)
		if f.Artifact == nil {
			b, more = opts.Loader.Load(ctx, f.Dir)
		} else {
			b, more = opts.Loader.LoadFS(ctx, f.Artifact.FS, redact(src))
			b.Source = redact(src)
			b.Digest = f.Artifact.Digest
			b.Signer = f.Artifact.KeyID
			if m := f.Artifact.Manifest; m != nil {
				b.Revision = m.Revision
				if b.Version == "" {
					b.Version = m.Version
				}
			}
		}
		if f.Stale {
			more = append(more, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Using a cached bundle", Detail: f.StaleReason + "."})
		}
		bundles = append(bundles, b)
		diags = append(diags, more...)
		fetched = append(fetched, f)
	}
	diags = append(diags, bundle.Conflicts(bundles)...)
	if !diags.HasErrors() {
		for _, f := range fetched {
			if f.commit == nil {
				continue
			}
			if err := f.commit(); err != nil && opts.Logger != nil {
				opts.Logger.Warn("cannot cache bundle", "source", redact(f.Source), "err", err)
			}
		}
	}
	return bundles, diags
}

// redact drops credentials from a URL for messages and labels.
func redact(src string) string {
	scheme, rest, ok := strings.Cut(src, "://")
	if !ok {
		return src
	}
	host, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = "***@" + host[at+1:]
	}
	if q := strings.IndexAny(path, "?#"); q >= 0 {
		path = path[:q]
	}
	if path == "" && !strings.Contains(rest, "/") {
		return scheme + "://" + host
	}
	return scheme + "://" + host + "/" + path
}
