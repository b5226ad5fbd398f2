package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/assay-dev/assay/core/exitcode"
)

// docsCmd writes the Markdown reference of every command (docs/cli/).
// It is hidden: it serves the project, not its users; a test keeps the
// committed reference in step with the code.
func docsCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "docs DIR",
		Short:  "Write the Markdown reference of every command to DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return exitcode.ScanError(err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			if err := doc.GenMarkdownTree(root, args[0]); err != nil {
				return exitcode.ScanError(fmt.Errorf("write docs: %w", err))
			}
			return nil
		},
	}
}
