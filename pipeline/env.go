package pipeline

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	datasources "github.com/assay-dev/assay/bundle/datasource/all"
	collectors "github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	formats "github.com/assay-dev/assay/exporters/all"
)

// Env is what every operation of the pipeline takes from the program
// around it: the pluggable parts, the program's name and version, where
// to log, and where warnings go. The CLI builds one per command.
type Env struct {
	// Collectors are the collector types bundles may name.
	Collectors *collector.Registry
	// DataKinds are the data kinds bundles may name.
	DataKinds *bundle.DataKinds
	// Formats are the output formats.
	Formats *exporters.Registry
	// Tool names this program in reports; its version is checked against
	// a bundle's assay_version.
	Tool report.Tool
	// Logger receives the structured log; nil discards it.
	Logger *slog.Logger
	// Warnings receives diagnostics that do not stop the run (a deprecated
	// attribute, a bundle served from the cache), with the sources they
	// quote; nil drops them.
	Warnings func(diags hcl.Diagnostics, files map[string]*hcl.File)
	// Stdin is what a document file named "-" reads; nil is os.Stdin.
	Stdin io.Reader
	// Secrets are the environment variables and files the operator allows
	// live data sources to read credentials from; nil allows none. Their
	// values are redacted from everything the run outputs. Set them with
	// AllowSecrets.
	Secrets *datasource.Secrets
}

// AllowSecrets sets the secrets the operator allows (--allow-env NAME[@HOST],
// --allow-secret-file PATH[@HOST]; datasource.NewSecrets) and makes the
// logger redact their values. A value too short to redact is logged as a
// warning, by name. Errors are usage errors.
func (e *Env) AllowSecrets(env, files []string) error {
	if len(env) == 0 && len(files) == 0 {
		return nil
	}
	s, short, err := datasource.NewSecrets(env, files)
	if err != nil {
		return exitcode.UsageError(err)
	}
	e.Secrets = s
	e.Logger = slog.New(redactHandler{inner: e.logger().Handler(), r: newRedactor(s)})
	for _, name := range short {
		e.Logger.Warn(fmt.Sprintf("the secret in %s is shorter than %d bytes: it is used, but not redacted from the output", name, datasource.MinRedactLen))
	}
	return nil
}

func (e *Env) redactor() *redactor { return newRedactor(e.Secrets) }

// Builtin returns an Env with every collector type, data kind and output
// format assay ships.
func Builtin(tool report.Tool) *Env {
	return &Env{
		Collectors: collectors.Registry(),
		DataKinds:  datasources.Kinds(),
		Formats:    formats.Registry(),
		Tool:       tool,
	}
}

// Loader returns the bundle loader of the env's collector types and data
// kinds.
func (e *Env) Loader() *bundle.Loader {
	return &bundle.Loader{Collectors: e.Collectors, DataKinds: e.DataKinds}
}

func (e *Env) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e *Env) warn(diags hcl.Diagnostics, files map[string]*hcl.File) {
	if len(diags) > 0 && e.Warnings != nil {
		e.Warnings(diags, files)
	}
}
