package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

// testFormats are the -f values of assay test.
var testFormats = []string{"table", "json"}

func (c *cli) testCmd() *cobra.Command {
	var (
		bundles   []string
		run       string
		verbose   bool
		coverage  bool
		threshold float64
		format    string
		cf        conftestFlags
		overlays  []string
	)
	cmd := &cobra.Command{
		Use:   "test [-b BUNDLE]... [BUNDLE]...",
		Short: "Run the Rego unit tests (test_ rules) of bundles",
		Long: `Test runs the test_ rules of every *_test.rego file in the bundles, against
the bundle's own modules and data, sandboxed as scans are — like 'opa test'.
Bundles are given with -b or as arguments; with none, the built-in bundles
are tested. On a conftest-style directory it is 'conftest verify': --data
gives the tests the same data.

A failing test shows the expression that failed with the values it compared
(as 'opa test --var-values' does). --coverage adds OPA's coverage of the
policy and library modules: the percentage of lines the tests evaluate, per
file, and the lines they never reach; --threshold fails the run below a
percentage. -f json writes everything as one JSON object, whose "coverage"
member is OPA's coverage report.

Exit codes: 0 all passed; 1 a test failed or errored, or coverage is under
--threshold; 2 a bundle or Rego error.`,
		Example: `  assay test ./my-bundle
  assay test -v --run 'password' -b policies/ssh-baseline
  assay test --coverage --threshold 90 ./my-bundle
  assay test --coverage -f json ./my-bundle | jq .coverage.coverage`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(testFormats, format) {
				return exitcode.UsageError(fmt.Errorf("-f %q: want %s", format, strings.Join(testFormats, " or ")))
			}
			if threshold < 0 || threshold > 100 {
				return exitcode.UsageError(fmt.Errorf("--threshold %g: want a percentage from 0 to 100", threshold))
			}
			if cmd.Flags().Changed("threshold") {
				coverage = true
			}
			ctx := cmd.Context()
			env := c.env(cmd)
			cf.quietDataWarning(env)
			bs, err := env.LoadBundlesToTest(ctx, append(bundles, args...), pipeline.FetchOptions{})
			if err != nil {
				return err
			}
			if bs, _, err = env.ApplyOverlays(bs, overlays); err != nil {
				return err
			}
			data, err := pipeline.LoadData(cf.data)
			if err != nil {
				return err
			}
			tr, err := env.RunTests(ctx, bs, engine.TestOptions{Run: run, Verbose: verbose, Coverage: coverage, Data: data})
			if err != nil {
				return err
			}
			var failed int
			if format == "json" {
				failed, err = writeTestJSON(cmd.OutOrStdout(), tr)
				if err != nil {
					return exitcode.ScanError(err)
				}
				if len(tr.Results) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "assay: no test_ rules found (tests live in *_test.rego files)")
				}
			} else {
				failed = printTestResults(cmd.OutOrStdout(), cmd.ErrOrStderr(), tr, verbose)
			}
			if failed > 0 {
				return exitcode.Silent(exitcode.Violations)
			}
			if tr.Coverage != nil && cmd.Flags().Changed("threshold") && tr.Coverage.Coverage < threshold {
				fmt.Fprintf(cmd.ErrOrStderr(), "assay: coverage %.1f%% is below --threshold %g%%\n", tr.Coverage.Coverage, threshold)
				return exitcode.Silent(exitcode.Violations)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&bundles, "bundle", "b", nil, "bundle to test: a directory or a .tar.gz (repeatable; also taken as arguments)")
	f.StringVar(&run, "run", "", "run only tests whose package.rule matches this `REGEXP`")
	f.BoolVarP(&verbose, "verbose", "v", false, "list every test and its print() output")
	f.BoolVar(&coverage, "coverage", false, "report the lines of policy and library modules the tests evaluate, per file")
	f.Float64Var(&threshold, "threshold", 0, "exit 1 when coverage is below this `PERCENT` (implies --coverage)")
	f.StringVarP(&format, "format", "f", "table", "output `FORMAT`: table or json")
	cf.register(f, false)
	f.StringArrayVar(&overlays, "overlay", nil, "run the tests with the params the overlay `FILE` sets (repeatable, applied in order); tests read data.assay.params")
	completeValues(cmd, "format", testFormats)
	return cmd
}

// printTestResults prints failures (every test when verbose) with what a
// failing test compared, the coverage table, and a summary line, and
// returns how many tests failed or errored.
func printTestResults(out, stderr io.Writer, tr *engine.TestRun, verbose bool) int {
	counts := map[engine.TestStatus]int{}
	for _, r := range tr.Results {
		counts[r.Status]++
		if r.Status == engine.TestPass && !verbose {
			continue
		}
		fmt.Fprintf(out, "%-5s %s.%s (%s) %s\n", strings.ToUpper(string(r.Status)), strings.TrimPrefix(r.Package, "data."), r.Name, r.Location, r.Duration.Round(1000))
		if r.Error != "" {
			fmt.Fprintf(out, "      %s\n", r.Error)
		}
		for _, line := range strings.Split(r.Values, "\n") {
			if line != "" {
				fmt.Fprintf(out, "      %s\n", strings.ReplaceAll(line, "\t", "  "))
			}
		}
		for _, line := range strings.Split(strings.TrimRight(string(r.Output), "\n"), "\n") {
			if line != "" {
				fmt.Fprintf(out, "      | %s\n", line)
			}
		}
	}
	if tr.Coverage != nil {
		printCoverage(out, tr.Coverage)
	}
	if len(tr.Results) == 0 {
		fmt.Fprintln(stderr, "assay: no test_ rules found (tests live in *_test.rego files)")
	}
	failed := counts[engine.TestFail] + counts[engine.TestError]
	summary := fmt.Sprintf("%d passed, %d failed", counts[engine.TestPass], failed)
	if n := counts[engine.TestSkip]; n > 0 {
		summary += fmt.Sprintf(", %d skipped", n)
	}
	if tr.Coverage != nil {
		summary += fmt.Sprintf("; %.1f%% of lines covered", tr.Coverage.Coverage)
	}
	fmt.Fprintln(out, summary)
	return failed
}

// maxSpansShown bounds the uncovered spans listed per file in the table;
// the JSON report has them all.
const maxSpansShown = 12

// printCoverage prints one line per file: its coverage and the lines the
// tests never reach, then the total.
func printCoverage(w io.Writer, r *cover.Report) {
	names := make([]string, 0, len(r.Files))
	for name := range r.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%-8s %s\n", "COVERAGE", "FILE (LINES NOT COVERED)")
	for _, name := range names {
		fr := r.Files[name]
		line := fmt.Sprintf("%7.1f%%  %s", fr.Coverage, name)
		if fr.CoveredLines+fr.NotCoveredLines == 0 {
			line = fmt.Sprintf("%8s  %s", "-", name)
		}
		spans := engine.UncoveredLines(fr)
		if len(spans) > 0 {
			var parts []string
			for i, s := range spans {
				if i == maxSpansShown {
					parts = append(parts, fmt.Sprintf("… %d more", len(spans)-i))
					break
				}
				if s[0] == s[1] {
					parts = append(parts, fmt.Sprint(s[0]))
				} else {
					parts = append(parts, fmt.Sprintf("%d-%d", s[0], s[1]))
				}
			}
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%7.1f%%  total: %d of %d lines\n", r.Coverage, r.CoveredLines, r.CoveredLines+r.NotCoveredLines)
}

// testJSON is one test in -f json.
type testJSON struct {
	Bundle   string  `json:"bundle"`
	Package  string  `json:"package"`
	Name     string  `json:"name"`
	Location string  `json:"location"`
	Status   string  `json:"status"`
	Error    string  `json:"error,omitempty"`
	Values   string  `json:"values,omitempty"`
	Output   string  `json:"output,omitempty"`
	Seconds  float64 `json:"duration_seconds"`
}

// writeTestJSON writes the run as one JSON object and returns how many
// tests failed or errored.
func writeTestJSON(w io.Writer, tr *engine.TestRun) (int, error) {
	out := struct {
		Tests    []testJSON    `json:"tests"`
		Passed   int           `json:"passed"`
		Failed   int           `json:"failed"`
		Skipped  int           `json:"skipped"`
		Coverage *cover.Report `json:"coverage,omitempty"`
	}{Tests: []testJSON{}, Coverage: tr.Coverage}
	for _, r := range tr.Results {
		switch r.Status {
		case engine.TestPass:
			out.Passed++
		case engine.TestSkip:
			out.Skipped++
		default:
			out.Failed++
		}
		out.Tests = append(out.Tests, testJSON{
			Bundle: r.Bundle, Package: r.Package, Name: r.Name, Location: r.Location,
			Status: string(r.Status), Error: r.Error, Values: r.Values, Output: string(r.Output),
			Seconds: r.Duration.Seconds(),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return out.Failed, fmt.Errorf("write test results: %w", err)
	}
	return out.Failed, nil
}
