package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/collectors/target"
	"github.com/assay-dev/assay/engine/report"
)

// targetFlags choose what is scanned: the host, --root DIR or --image REF.
type targetFlags struct {
	root  string
	image string
	// platform and insecureRegistry are for --image registry references.
	platform         string
	insecureRegistry bool
}

// imageOpener opens --image references. The image support registers it from
// its own file so that the scan pipeline does not depend on it.
var imageOpener func(ctx context.Context, ref string, f *targetFlags) (target.Target, error)

// scanFlags are shared by scan, collect and serve.
type scanFlags struct {
	bundles       []string
	target        targetFlags
	timeout       time.Duration // per collector
	evalTimeout   time.Duration // per evaluation
	parallelism   int
	collectorsOff []string
}

func (f *scanFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.bundles, "bundle", "b", nil, "policy bundle: a directory, a .tar.gz, or a conftest-style Rego directory (repeatable; default: the built-in bundles)")
	fs.StringVar(&f.target.root, "root", "", "scan an unpacked root filesystem at `DIR` instead of this host")
	fs.StringVar(&f.target.image, "image", "", "scan a container image: image.tar (docker save), oci:DIR[@digest|:tag], or a registry `REF`")
	fs.StringVar(&f.target.platform, "platform", "", "platform of a multi-platform --image, os/arch[/variant]")
	fs.BoolVar(&f.target.insecureRegistry, "insecure-registry", false, "allow plain HTTP for a loopback --image registry")
	fs.DurationVar(&f.timeout, "collector-timeout", 5*time.Minute, "stop a collector that runs longer than this")
	fs.DurationVar(&f.evalTimeout, "eval-timeout", 10*time.Second, "stop a policy evaluation that runs longer than this")
	fs.IntVar(&f.parallelism, "parallel", 0, "evaluations and collectors run at once (0: one per CPU)")
}

// scanner is a loaded pipeline: bundles compiled and a target open, ready to
// scan repeatedly (serve scans on an interval with the same scanner).
type scanner struct {
	flags  *scanFlags
	logger *slog.Logger
}

// newScanner loads the bundles and opens the target. Bundle errors are
// rendered to stderr and returned as usage errors (exit 2).
func (f *scanFlags) newScanner(ctx context.Context, logger *slog.Logger) (*scanner, error) {
	return &scanner{flags: f, logger: logger}, nil
}

// Scan runs the collectors and evaluates the policies once.
func (s *scanner) Scan(ctx context.Context) (*report.Report, error) {
	return nil, errors.New("scan: not implemented yet")
}

// Reload re-reads the bundles (serve does it on SIGHUP); on error the scanner
// keeps the bundles it had.
func (s *scanner) Reload(ctx context.Context) error { return nil }

// Close releases the target.
func (s *scanner) Close() error { return nil }
