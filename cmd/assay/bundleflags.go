package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/cmd/assay/internal/version"
)

// bundleHelp describes what --bundle accepts.
const bundleHelp = "policy bundle: a directory, a .tar.gz, an https:// URL or an oci://REF (repeatable; default: the built-in bundles)"

// bundleFlags say how --bundle sources are fetched and checked. A nil
// *bundleFlags fetches with the defaults and verifies no signature.
type bundleFlags struct {
	verifyKeys []string
	cache      string
	timeout    time.Duration
	// logger receives the warning when a cached copy is served.
	logger *slog.Logger
}

func (f *bundleFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.verifyKeys, "verify-key", nil, "refuse any bundle not signed by the public key in this PEM `FILE` (repeatable: any of the keys)")
	fs.StringVar(&f.cache, "bundle-cache", "", "keep remote bundles in `DIR` and use the last copy that loaded when the source is unreachable")
	fs.DurationVar(&f.timeout, "bundle-timeout", source.DefaultTimeout, "give up fetching a remote bundle after this long")
}

// options reads the keys and builds the source options.
func (f *bundleFlags) options() (source.Options, error) {
	opts := source.Options{AssayVersion: version.String()}
	if f == nil {
		return opts, nil
	}
	keys, err := readPublicKeys(f.verifyKeys)
	if err != nil {
		return opts, err
	}
	opts.Keys = keys
	opts.Timeout = f.timeout
	opts.Logger = f.logger
	if f.cache != "" {
		opts.CacheDir = f.cache
		opts.Offline = true
	}
	return opts, nil
}

func readPublicKeys(files []string) ([]artifact.PublicKey, error) {
	var keys []artifact.PublicKey
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--verify-key: %w", err)
		}
		k, err := artifact.ParsePublicKeys(data)
		if err != nil {
			return nil, fmt.Errorf("--verify-key %s: %w", name, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}
