package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/internal/safefile"
)

// BuildOptions say how a bundle directory becomes an archive.
type BuildOptions struct {
	// Output is the archive to write; "" means NAME-VERSION.tar.gz.
	Output string
	// Version must agree with the bundle block's; "" takes it.
	Version string
	// Revision is what the bundle was built from, such as a git commit.
	Revision string
	// AssayVersion is the oldest assay version that may run the bundle.
	AssayVersion string
	// SkipTests builds without running the bundle's Rego tests.
	SkipTests bool
	// Tested, when set, is given the results of the tests as soon as they
	// ran, failed or not.
	Tested func([]engine.TestResult)
}

// Built is what BuildBundle made.
type Built struct {
	// File is the archive written.
	File     string
	Manifest artifact.Manifest
	// Files counts the files the manifest lists; Digest is the archive's.
	Files  int
	Digest string
}

// BuildBundle validates the bundle directory as a scan would load it,
// compiles its policies, runs its Rego tests, and writes a reproducible
// archive. A failing test is exit code 1 and writes nothing; a bundle
// error is exit code 2.
func (e *Env) BuildBundle(ctx context.Context, dir string, opts BuildOptions) (*Built, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, exitcode.UsageError(fmt.Errorf("%s is not a bundle directory", dir))
	}
	if err := CheckOutputFile(opts.Output); err != nil {
		return nil, exitcode.UsageError(err)
	}
	if opts.AssayVersion != "" {
		if err := artifact.CheckAssayVersion(opts.AssayVersion, "0.0.0"); errors.Is(err, artifact.ErrInvalid) {
			return nil, exitcode.UsageError(fmt.Errorf("--assay-version: %w", err))
		}
	}
	bundles, err := e.LoadBundles(ctx, []string{dir}, FetchOptions{})
	if err != nil {
		return nil, err
	}
	b := bundles[0]
	if _, err := e.Compile(ctx, bundles); err != nil {
		return nil, err
	}
	if !opts.SkipTests {
		results, err := engine.Test(ctx, bundles, engine.TestOptions{})
		if err != nil {
			return nil, exitcode.UsageError(fmt.Errorf("run the tests of %s: %w", dir, err))
		}
		if opts.Tested != nil {
			opts.Tested(results)
		}
		if failed := engine.CountFailed(results); failed > 0 {
			return nil, &exitcode.Error{Code: exitcode.Violations, Err: fmt.Errorf("%d test(s) failed: no archive written (--skip-tests builds anyway)", failed)}
		}
	}
	version := opts.Version
	switch {
	case version == "":
		version = b.Version
	case b.Version != "" && strings.TrimPrefix(version, "v") != strings.TrimPrefix(b.Version, "v"):
		return nil, exitcode.UsageError(fmt.Errorf("--version %s differs from the version %s in the bundle block; change one of them", version, b.Version))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	defer root.Close()
	m := artifact.Manifest{Name: b.Name, Version: version, Revision: opts.Revision, AssayVersion: opts.AssayVersion}
	data, err := artifact.Build(root.FS(), m)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	out := opts.Output
	if out == "" {
		out = b.Name + ".tar.gz"
		if version != "" {
			out = b.Name + "-" + version + ".tar.gz"
		}
		if err := CheckOutputFile(out); err != nil {
			return nil, exitcode.UsageError(err)
		}
	}
	if err := safefile.WriteBytes(out, 0o644, data); err != nil {
		return nil, exitcode.ScanError(err)
	}
	a, err := artifact.Open(ctx, data, out, artifact.Options{})
	if err != nil {
		return nil, exitcode.ScanError(err)
	}
	return &Built{File: out, Manifest: m, Files: len(a.Manifest.Files), Digest: a.Digest}, nil
}
