package main

import (
	"errors"
	"io"
	"log/slog"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/cmd/assay/internal/version"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
)

// cli is what every subcommand shares: the root's --log-* flags and the
// pipeline's registries (collector types, data kinds, output formats).
type cli struct {
	log  logFlags
	prof profileFlags
	base pipeline.Env
}

// logger returns the structured logger on the command's stderr, built from
// the --log-* flags once cobra has parsed them.
func (c *cli) logger(cmd *cobra.Command) *slog.Logger {
	l, err := c.log.logger(cmd.ErrOrStderr())
	if err != nil {
		return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	return l
}

// env is the pipeline environment of one command: every collector type,
// data kind and format, this program's version, the command's logger, and
// warnings rendered on its stderr.
func (c *cli) env(cmd *cobra.Command) *pipeline.Env {
	e := c.base
	e.Logger = c.logger(cmd)
	e.Warnings = func(diags hcl.Diagnostics, files map[string]*hcl.File) {
		renderDiagnostics(cmd.ErrOrStderr(), diags, files)
	}
	return &e
}

func tool() report.Tool { return report.Tool{Name: "assay", Version: version.String()} }

func newRootCmd() *cobra.Command {
	c := &cli{base: *pipeline.Builtin(tool())}
	root := &cobra.Command{
		Use:   "assay",
		Short: "Declarative policy-as-code compliance scanner",
		Long: `assay gathers facts from a host, a root filesystem or a container image,
judges them with Rego policies shipped in HCL bundles, and reports findings as
a table, JSON, SARIF, JUnit, Prometheus metrics or a self-contained HTML page —
with an exit code that gates CI.

With no --bundle, the built-in bundles run against the local host.`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("assay {{.Version}}\n")
	c.log.register(root.PersistentFlags())
	c.prof.register(root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if _, err := c.log.logger(cmd.ErrOrStderr()); err != nil {
			return exitcode.UsageError(err)
		}
		return nil
	}
	root.AddCommand(
		c.scanCmd(),
		c.collectCmd(),
		c.evalCmd(),
		reportCmd(),
		diffCmd(),
		pushCmd(),
		c.serveCmd(),
		c.testCmd(),
		fmtCmd(),
		c.docCmd(),
		c.dataCmd(),
		c.bundleCmd(),
		migCmd(),
		c.schemaCmd(),
		versionCmd(),
		docsCmd(),
	)
	profileCommands(root, &c.prof)
	renderErrors(root)
	return root
}

// renderErrors makes every command show the diagnostics its error carries
// (bundle and Rego mistakes, data sources that cannot be fetched) on its
// stderr, with their source, before main turns the error into an exit code.
func renderErrors(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		renderErrors(sub)
	}
	if cmd.RunE == nil {
		return
	}
	runE := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		err := runE(cmd, args)
		if !showDiagnostics(cmd.ErrOrStderr(), err) {
			return err
		}
		return &exitcode.Error{Code: exitcode.Of(err, exitcode.Usage), Err: err, Reported: true}
	}
}

// showDiagnostics renders the diagnostics err carries, if any, and says
// whether it did.
func showDiagnostics(w io.Writer, err error) bool {
	var d pipeline.Diagnosed
	if err == nil || !errors.As(err, &d) {
		return false
	}
	diags, files := d.Diagnostics()
	renderDiagnostics(w, diags, files)
	return true
}
