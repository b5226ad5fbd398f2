package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
)

func reportCmd() *cobra.Command {
	var (
		output  string
		title   string
		maxSize int64 = pipeline.DefaultMaxReportSize
	)
	cmd := &cobra.Command{
		Use:   "report REPORT.json... -o REPORT.html",
		Short: "Render saved JSON reports as one self-contained HTML page",
		Long: `Report renders JSON reports (written by 'assay scan -f json' or
'assay eval -f json') as one HTML page an auditor can open anywhere: from a
mail attachment or an artifact store, with no network and no server. Several
reports (a fleet, a set of images), or the report of a scan over several
targets (--target, --inventory), make one page with a target selector.

The page holds everything inline and loads nothing; a Content-Security-Policy
lets only its own stylesheet and script run. It reads completely with
JavaScript disabled and prints with a page per section. A scan writes the
same page directly with -f html=FILE.

A file that is not an assay JSON report, or is larger than --max-size, is
refused (exit 2) with the file named.`,
		Example: `  assay scan --root /srv/rootfs -f json=report.json
  assay report report.json -o report.html

  # one page for a fleet
  assay report web-*.json db-*.json -o fleet.html --title "Fleet audit, March"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("report needs at least one JSON report (assay scan -f json -o report.json)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && isTerminal(cmd.OutOrStdout()) {
				return exitcode.UsageError(errors.New("report writes HTML: give -o FILE.html, or redirect stdout"))
			}
			if err := pipeline.CheckOutputFile(output); err != nil {
				return exitcode.UsageError(err)
			}
			reports, err := pipeline.ReadReports(args, maxSize)
			if err != nil {
				return err
			}
			if err := pipeline.WriteHTML(cmd.Context(), reports, title, tool(), output, cmd.OutOrStdout()); err != nil {
				return exitcode.ScanError(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the page to `FILE` (atomically) instead of stdout")
	cmd.Flags().StringVar(&title, "title", "", "page `TITLE` (default: names the target, or counts the targets)")
	cmd.Flags().Var(sizeFlag{&maxSize}, "max-size", "refuse a JSON report larger than `SIZE` (k, M, G suffixes)")
	return cmd
}
