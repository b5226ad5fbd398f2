package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/report"
)

// completeValues makes the flag's values tab-complete from a fixed list.
func completeValues(cmd *cobra.Command, flag string, values []string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	})
}

// completeFormats completes -f of the commands that write reports: each
// format, and FORMAT= followed by a file name for a format written to a
// file.
func completeFormats(cmd *cobra.Command, formats []string) {
	_ = cmd.RegisterFlagCompletionFunc("format", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if i := strings.IndexByte(toComplete, '='); i >= 0 {
			// FORMAT=FILE: the shell completes the file name.
			return nil, cobra.ShellCompDirectiveDefault
		}
		return formats, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// failOnValues are the values --fail-on accepts.
func failOnValues() []string {
	return append(report.SeverityNames(), "none")
}

// completeOutputFlags makes -f and --fail-on of a command that registered
// outputFlags tab-complete.
func completeOutputFlags(cmd *cobra.Command, formats []string) {
	completeFormats(cmd, formats)
	completeValues(cmd, "fail-on", failOnValues())
}
