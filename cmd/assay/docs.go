package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/assay-dev/assay/cmd/assay/internal/version"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
)

// docsCmd writes the Markdown reference of every command (docs/cli/), or
// with --man their man pages (make dist puts them in the archives and
// packages). It is hidden: it serves the project, not its users; a test
// keeps the committed reference in step with the code.
func docsCmd() *cobra.Command {
	var man bool
	cmd := &cobra.Command{
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
			write := writeDocs
			if man {
				write = writeMan
			}
			if err := write(d, root); err != nil {
				return exitcode.ScanError(fmt.Errorf("write docs: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&man, "man", false, "write man pages (section 1, dated by SOURCE_DATE_EPOCH when set) instead of Markdown")
	return cmd
}

// writeDocs writes the page of cmd and of each of its visible commands, as
// doc.GenMarkdownTree names them, through safefile: GenMarkdownTree's
// os.Create would follow a link planted at a page's name.
func writeDocs(d *safefile.Dir, cmd *cobra.Command) error {
	return eachCommand(cmd, func(c *cobra.Command) error {
		name := strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
		return d.Write(name, 0o644, func(w io.Writer) error {
			return doc.GenMarkdownCustom(c, w, func(s string) string { return s })
		})
	})
}

// writeMan writes the man page of cmd and of each of its visible commands,
// named as doc.GenManTree names them (assay-scan.1), through safefile.
func writeMan(d *safefile.Dir, cmd *cobra.Command) error {
	return eachCommand(cmd, func(c *cobra.Command) error {
		header := doc.GenManHeader{Section: "1", Source: "assay " + version.String(), Manual: "assay manual"}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		return d.Write(name, 0o644, func(w io.Writer) error { return doc.GenMan(c, &header, w) })
	})
}

// eachCommand calls fn for cmd's visible descendants, then for cmd.
func eachCommand(cmd *cobra.Command, fn func(*cobra.Command) error) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := eachCommand(c, fn); err != nil {
			return err
		}
	}
	return fn(cmd)
}
