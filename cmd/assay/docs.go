package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
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
			d, err := safefile.OpenDir(args[0])
			if err != nil {
				return exitcode.ScanError(fmt.Errorf("write docs: %w", err))
			}
			defer d.Close()
			root := cmd.Root()
			root.DisableAutoGenTag = true
			if err := writeDocs(d, root); err != nil {
				return exitcode.ScanError(fmt.Errorf("write docs: %w", err))
			}
			return nil
		},
	}
}

// writeDocs writes the page of cmd and of each of its visible commands, as
// doc.GenMarkdownTree names them, through safefile: GenMarkdownTree's
// os.Create would follow a link planted at a page's name.
func writeDocs(d *safefile.Dir, cmd *cobra.Command) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeDocs(d, c); err != nil {
			return err
		}
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "_") + ".md"
	return d.Write(name, 0o644, func(w io.Writer) error {
		return doc.GenMarkdownCustom(cmd, w, func(s string) string { return s })
	})
}
