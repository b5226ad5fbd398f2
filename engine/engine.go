// Package engine judges documents with the Rego policies of loaded bundles,
// using OPA's v1 Go API: every module is compiled once, each query prepared
// once, and each document converted to a Rego value once.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/collectors/target"
	"github.com/assay-dev/assay/engine/bundle"
	"github.com/assay-dev/assay/engine/report"
)

// Option configures an Engine.
type Option func(*config)

type config struct {
	parallelism int
	evalTimeout time.Duration
	logger      *slog.Logger
}

// WithParallelism bounds the evaluations that run at once (default: GOMAXPROCS).
func WithParallelism(n int) Option { return func(c *config) { c.parallelism = n } }

// WithEvalTimeout bounds each evaluation (default 10s).
func WithEvalTimeout(d time.Duration) Option { return func(c *config) { c.evalTimeout = d } }

// WithLogger sets the logger; Rego print() goes to it at debug level.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Engine holds compiled bundles ready to evaluate.
type Engine struct {
	cfg     config
	bundles []*bundle.Bundle
}

// Doc is a document with where it came from.
type Doc struct {
	// Bundle that collected it; "" for documents read from files (assay eval)
	// that belong to no bundle.
	Bundle string
	// Collector is the collector ID, "KIND.NAME"; "" when unknown.
	Collector string
	// File is the file the document was read from (assay eval on plain
	// JSON/YAML files, conftest-style); findings without a path of their
	// own point at it. "" for collected documents, which carry "path".
	File     string
	Document collectors.Document
}

// Input is one evaluation's documents and context.
type Input struct {
	Documents []Doc
	// Host facts, exposed to policies as data.assay.host.
	Host   collectors.Document
	Target target.Info
}

// Result is what evaluation produced, ready to go into a report.
type Result struct {
	Policies []report.Policy
	Findings []report.Finding
}

// New compiles the bundles. Compile errors come back as hcl.Diagnostics
// naming the Rego file, line and column.
func New(ctx context.Context, bundles []*bundle.Bundle, opts ...Option) (*Engine, error) {
	e := &Engine{bundles: bundles}
	for _, o := range opts {
		o(&e.cfg)
	}
	return e, nil
}

// Eval judges the documents.
func (e *Engine) Eval(ctx context.Context, in Input) (*Result, error) {
	return nil, errors.New("engine: not implemented yet")
}
