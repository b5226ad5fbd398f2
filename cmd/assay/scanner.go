package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/assay-dev/assay/targets"

	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/cmd/assay/internal/version"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

// targetFlags choose what is scanned: the host, --root DIR or --image REF.
type targetFlags struct {
	root  string
	image string
	// platform and insecureRegistry are for --image registry references.
	platform         string
	insecureRegistry bool
	// logger is the command's logger (--log-format, --log-level), for
	// what opening the target reports; nil means slog.Default.
	logger *slog.Logger
}

// imageOpener opens --image references. The image support registers it from
// its own file so that the scan pipeline does not depend on it.
var imageOpener func(ctx context.Context, ref string, f *targetFlags) (target.Target, error)

func (t *targetFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&t.root, "root", "", "scan an unpacked root filesystem at `DIR` instead of this host")
	fs.StringVar(&t.image, "image", "", "scan a container image: image.tar (docker save), oci:DIR[@digest|:tag], or a registry `REF`")
	fs.StringVar(&t.platform, "platform", "", "platform of a multi-platform --image, os/arch[/variant]")
	fs.BoolVar(&t.insecureRegistry, "insecure-registry", false, "allow plain HTTP for a loopback --image registry")
}

// open opens the chosen target. Errors are the user's to fix: exit 2.
func (t *targetFlags) open(ctx context.Context) (target.Target, error) {
	switch {
	case t.root != "" && t.image != "":
		return nil, usageError(errors.New("--root and --image choose different targets: give one"))
	case t.image != "":
		if imageOpener == nil {
			return nil, usageError(errors.New("--image is not supported by this build"))
		}
		// The opener chooses the exit code; its errors name the image.
		return imageOpener(ctx, t.image, t)
	case t.root != "":
		fi, err := os.Stat(t.root)
		if err != nil {
			return nil, usageError(fmt.Errorf("--root: %w", err))
		}
		if !fi.IsDir() {
			return nil, usageError(fmt.Errorf("--root %s: not a directory", t.root))
		}
		tgt, err := targets.OpenDir(t.root)
		if err != nil {
			return nil, usageError(err)
		}
		return tgt, nil
	}
	tgt, err := targets.Host()
	if err != nil {
		return nil, scanError(err)
	}
	return tgt, nil
}

// scanFlags are shared by scan, collect and serve.
type scanFlags struct {
	bundles     []string
	fetch       bundleFlags
	target      targetFlags
	timeout     time.Duration // per collector
	evalTimeout time.Duration // per evaluation
	parallelism int
}

func (f *scanFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.bundles, "bundle", "b", nil, bundleHelp)
	f.fetch.register(fs)
	f.target.register(fs)
	fs.DurationVar(&f.timeout, "collector-timeout", 5*time.Minute, "stop a collector that runs longer than this")
	fs.DurationVar(&f.evalTimeout, "eval-timeout", 10*time.Second, "stop a policy evaluation that runs longer than this")
	fs.IntVar(&f.parallelism, "parallel", 0, "evaluations and collectors run at once (0: one per CPU)")
}

// scanner is a loaded pipeline: bundles compiled and a target open, ready to
// scan repeatedly (serve scans on an interval with the same scanner).
type scanner struct {
	flags  *scanFlags
	logger *slog.Logger
	stderr io.Writer

	mu       sync.Mutex // guards pipeline across Reload
	pipeline *pipeline.Pipeline
	target   target.Target
	// data fetches the live data sources before each scan; it outlives
	// reloads, so that serve keeps the last good data across them.
	data *pipeline.Data
}

func tool() report.Tool { return report.Tool{Name: "assay", Version: version.String()} }

// newScanner loads the bundles and opens the target. Bundle errors are
// rendered to stderr and returned as usage errors (exit 2).
func (f *scanFlags) newScanner(ctx context.Context, logger *slog.Logger, stderr io.Writer) (*scanner, error) {
	s := &scanner{flags: f, logger: logger, stderr: stderr, data: &pipeline.Data{Logger: logger}}
	f.target.logger = logger
	tgt, err := f.target.open(ctx)
	if err != nil {
		return nil, err
	}
	s.target = tgt
	p, err := s.load(ctx)
	if err != nil {
		tgt.Close()
		return nil, err
	}
	s.pipeline = p
	return s, nil
}

func (s *scanner) load(ctx context.Context) (*pipeline.Pipeline, error) {
	s.flags.fetch.logger = s.logger
	bundles, err := loadBundles(ctx, s.flags.bundles, &s.flags.fetch, s.stderr)
	if err != nil {
		return nil, err
	}
	eng, err := compile(ctx, bundles, s.stderr, s.engineOptions()...)
	if err != nil {
		return nil, err
	}
	return &pipeline.Pipeline{
		Bundles: bundles, Engine: eng, Target: s.target, Logger: s.logger,
		CollectorTimeout: s.flags.timeout, Parallel: s.flags.parallelism, Tool: tool(),
		Data: s.data,
	}, nil
}

func (s *scanner) engineOptions() []engine.Option {
	opts := []engine.Option{engine.WithLogger(s.logger), engine.WithEvalTimeout(s.flags.evalTimeout)}
	if s.flags.parallelism > 0 {
		opts = append(opts, engine.WithParallelism(s.flags.parallelism))
	}
	return opts
}

// Pipeline returns the current pipeline (it changes on Reload).
func (s *scanner) Pipeline() *pipeline.Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pipeline
}

// Bundles returns the loaded bundles.
func (s *scanner) Bundles() []*bundle.Bundle { return s.Pipeline().Bundles }

// Scan fetches the live data, runs the collectors and evaluates the
// policies once.
func (s *scanner) Scan(ctx context.Context) (*report.Report, error) {
	return s.Pipeline().Scan(ctx)
}

// KeepLastGoodData makes a data source that cannot be fetched keep its last
// good data (reported stale) rather than fail the scan: assay serve.
func (s *scanner) KeepLastGoodData() { s.data.KeepLastGood = true }

// Reload re-reads the bundles (serve does it on SIGHUP); on error the scanner
// keeps the bundles it had.
func (s *scanner) Reload(ctx context.Context) error {
	p, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.pipeline = p
	s.mu.Unlock()
	return nil
}

// Close releases the target.
func (s *scanner) Close() error { return s.target.Close() }
