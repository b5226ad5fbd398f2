package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/engine"
)

func init() { addCommand(newTestCmd) }

func newTestCmd() *cobra.Command {
	var (
		run     string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "test [BUNDLE]...",
		Short: "Run the Rego unit tests (test_ rules) of bundles",
		Long: `Test runs the test_ rules of every *_test.rego file in the bundles, against
the bundle's own modules and data, sandboxed as scans are — like 'opa test'.
With no argument, the built-in bundles are tested.

Exit codes: 0 all passed; 1 a test failed or errored; 2 a bundle or Rego error.`,
		Example: `  assay test ./my-bundle
  assay test -v --run 'password' policies/ssh-baseline`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			bundles, err := loadBundles(ctx, args, nil, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			results, err := engine.Test(ctx, bundles, engine.TestOptions{Run: run, Verbose: verbose})
			if err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				if diags := asDiagnostics(err); diags != nil {
					renderDiagnostics(cmd.ErrOrStderr(), diags, bundleFilesOf(bundles))
					return &exitError{code: 2, err: err, silent: true}
				}
				return usageError(err)
			}
			failed := printTestResults(cmd.OutOrStdout(), cmd.ErrOrStderr(), results, verbose)
			if failed > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run only tests whose package.rule matches this `REGEXP`")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every test and its print() output")
	return cmd
}

// printTestResults prints failures (every test when verbose) and a summary
// line, and returns how many tests failed or errored.
func printTestResults(out, stderr io.Writer, results []engine.TestResult, verbose bool) int {
	counts := map[engine.TestStatus]int{}
	for _, r := range results {
		counts[r.Status]++
		if r.Status == engine.TestPass && !verbose {
			continue
		}
		fmt.Fprintf(out, "%-5s %s.%s (%s) %s\n", strings.ToUpper(string(r.Status)), strings.TrimPrefix(r.Package, "data."), r.Name, r.Location, r.Duration.Round(1000))
		if r.Error != "" {
			fmt.Fprintf(out, "      %s\n", r.Error)
		}
		for _, line := range strings.Split(strings.TrimRight(string(r.Output), "\n"), "\n") {
			if line != "" {
				fmt.Fprintf(out, "      | %s\n", line)
			}
		}
	}
	if len(results) == 0 {
		fmt.Fprintln(stderr, "assay: no test_ rules found (tests live in *_test.rego files)")
	}
	failed := counts[engine.TestFail] + counts[engine.TestError]
	summary := fmt.Sprintf("%d passed, %d failed", counts[engine.TestPass], failed)
	if n := counts[engine.TestSkip]; n > 0 {
		summary += fmt.Sprintf(", %d skipped", n)
	}
	fmt.Fprintln(out, summary)
	return failed
}
