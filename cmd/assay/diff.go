package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
)

func diffCmd() *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two JSON reports: new, fixed and unchanged findings",
		Long: `Diff compares the JSON reports of two scans of one system (assay scan -f json):
the findings NEW.json has that OLD.json did not (new), those both have
(unchanged), and those only OLD.json has (fixed).

Findings are matched by their baseline key: bundle, policy, path and the
evidence the finding observed, leaving out what changes between two scans
of the same thing that nobody fixed or broke (an image's tag or digest, the
hostname, line numbers, a threshold an overlay tailored). docs/waivers.md
describes it; scan --baseline OLD.json gates CI the same way.

Exit codes: 0 nothing new; 1 a new finding; 2 a file that is not an assay
JSON report (another tool's, another schema version), or a usage error.`,
		Example: `  assay scan --image app:1.4 -f json -o old.json
  assay scan --image app:1.5 -f json -o new.json
  assay diff old.json new.json
  assay diff old.json new.json -f json -o diff.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return errors.New("diff compares two JSON reports: assay diff OLD.json NEW.json")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pipeline.CheckDiffFormat(format); err != nil {
				return err
			}
			if err := pipeline.CheckOutputFile(output); err != nil {
				return exitcode.UsageError(err)
			}
			d, err := pipeline.Diff(args[0], args[1])
			if err != nil {
				return err
			}
			if err := pipeline.WriteDiff(d, format, output, cmd.OutOrStdout()); err != nil {
				return exitcode.ScanError(err)
			}
			if code := d.ExitCode(); code != exitcode.Clean {
				return exitcode.Silent(code)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output `FORMAT`: table or json")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the output to `FILE` (atomically) instead of stdout")
	return cmd
}
