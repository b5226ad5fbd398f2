package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/schema"
	"github.com/assay-dev/assay/internal/safefile"
)

// schemaCmd prints the JSON Schema of a document kind, or lists the kinds.
// Its hidden --write-dir writes every schema to a directory: docs/schemas
// is made with it, and a test keeps it in step.
func (c *cli) schemaCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "schema [KIND]",
		Short: "Print the JSON Schema of a document kind, or list the kinds",
		Long: `Print the JSON Schema of the documents of KIND (what policies read as input),
or, without KIND, list the document kinds and the collect blocks that produce them.

Policies whose input names collectors are compiled against these schemas: reading a
field that no document of the kind can have is a compile error. docs/documents.md
explains the typing; docs/schemas holds the same files.`,
		Example: `  assay schema
  assay schema sshd_config`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return schema.Kinds(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir != "" {
				return writeSchemas(dir)
			}
			out := cmd.OutOrStdout()
			if len(args) == 0 {
				return listKinds(out, c.base.Collectors)
			}
			b, ok := schema.JSON(args[0])
			if !ok {
				return exitcode.UsageError(fmt.Errorf("no document kind %q: `assay schema` lists them", args[0]))
			}
			_, err := out.Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "write-dir", "", "write every schema to `DIR` as KIND.json")
	_ = cmd.Flags().MarkHidden("write-dir")
	return cmd
}

func listKinds(w io.Writer, reg *collector.Registry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tCOLLECT BLOCK")
	for _, k := range schema.Kinds() {
		block := "-"
		if t, ok := collector.ForDocumentKind(reg, k); ok {
			block = fmt.Sprintf("collect %q \"NAME\"", t.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\n", k, block)
	}
	return tw.Flush()
}

func writeSchemas(dir string) error {
	d, err := safefile.OpenDir(dir)
	if err != nil {
		return exitcode.ScanError(fmt.Errorf("write schemas: %w", err))
	}
	defer d.Close()
	for _, k := range schema.Kinds() {
		b, _ := schema.JSON(k)
		if err := d.WriteBytes(k+".json", 0o644, b); err != nil {
			return exitcode.ScanError(fmt.Errorf("write schemas: %w", err))
		}
	}
	return nil
}
