package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/cmd/assay/internal/version"
)

// subcommands are added by each subcommand's file from init(), so that adding
// a command never edits this file.
var subcommands []func() *cobra.Command

func addCommand(f func() *cobra.Command) { subcommands = append(subcommands, f) }

// globalLogFlags are the root's persistent --log-* flags; logger() builds the
// logger from them once cobra has parsed the command line.
var globalLogFlags logFlags

// logger returns the structured logger on the command's stderr.
func logger(cmd *cobra.Command) *slog.Logger {
	l, err := globalLogFlags.logger(cmd.ErrOrStderr())
	if err != nil {
		return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	return l
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "assay",
		Short: "Declarative policy-as-code compliance scanner",
		Long: `assay gathers facts from a host, a root filesystem or a container image,
judges them with Rego policies shipped in HCL bundles, and reports findings as
a table, JSON, SARIF, JUnit or Prometheus metrics — with an exit code that
gates CI.

With no --bundle, the built-in bundles run against the local host.`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("assay {{.Version}}\n")
	globalLogFlags = logFlags{}
	globalLogFlags.register(root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if _, err := globalLogFlags.logger(cmd.ErrOrStderr()); err != nil {
			return usageError(err)
		}
		return nil
	}
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}
