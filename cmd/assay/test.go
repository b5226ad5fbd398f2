package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) testCmd() *cobra.Command {
	var (
		run     string
		verbose bool
		cf      conftestFlags
	)
	cmd := &cobra.Command{
		Use:   "test [BUNDLE]...",
		Short: "Run the Rego unit tests (test_ rules) of bundles",
		Long: `Test runs the test_ rules of every *_test.rego file in the bundles, against
the bundle's own modules and data, sandboxed as scans are — like 'opa test'.
With no argument, the built-in bundles are tested. On a conftest-style
directory it is 'conftest verify': --data gives the tests the same data.

Exit codes: 0 all passed; 1 a test failed or errored; 2 a bundle or Rego error.`,
		Example: `  assay test ./my-bundle
  assay test -v --run 'password' policies/ssh-baseline`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			env := c.env(cmd)
			cf.quietDataWarning(env)
			bundles, err := env.LoadBundles(ctx, args, pipeline.FetchOptions{})
			if err != nil {
				return err
			}
			data, err := pipeline.LoadData(cf.data)
			if err != nil {
				return err
			}
			results, err := env.Test(ctx, bundles, engine.TestOptions{Run: run, Verbose: verbose, Data: data})
			if err != nil {
				return err
			}
			if printTestResults(cmd.OutOrStdout(), cmd.ErrOrStderr(), results, verbose) > 0 {
				return exitcode.Silent(exitcode.Violations)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run only tests whose package.rule matches this `REGEXP`")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every test and its print() output")
	cf.register(cmd.Flags(), false)
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
