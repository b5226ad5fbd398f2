package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/internal/safefile"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) collectCmd() *cobra.Command {
	var (
		cfg     pipeline.ScanConfig
		output  string
		secrets secretFlags
	)
	cmd := &cobra.Command{
		Use:   "collect [flags]",
		Short: "Gather the documents the bundles ask for, as JSON, without judging them",
		Long: `Collect runs the collect blocks of the bundles against the target and writes
every document as JSON: what policy authors look at while writing Rego, and
what 'assay eval --documents' judges later or elsewhere (a fleet's documents
evaluated together, for cross-host policies).

Live data sources are not fetched, so their secrets need no --allow-env;
the values of the secrets allowed are redacted from the documents.

With --target or --inventory it collects hosts over SSH. -o DIR/ then
writes one documents file per target (what 'assay eval --documents' reads);
-o FILE or stdout gets one object with a section per target. A target that
cannot be collected is reported with its reason, gets no file, and fails
the run (exit 3) unless --allow-failed-targets.`,
		Example: `  assay collect -b ./my-bundle > host1.json
  assay collect --root /mnt/rootfs -o rootfs.json
  assay eval -b ./my-bundle --documents host1.json host2.json
  assay collect --inventory fleet.yaml -o documents/`,
		Args: noBundleArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			env := c.env(cmd)
			if err := secrets.apply(env); err != nil {
				return err
			}
			cfg.CollectOnly = true
			if cfg.Target.Remote() {
				return collectTargets(ctx, env, cfg, output, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			if err := pipeline.CheckOutputFile(output); err != nil {
				return exitcode.UsageError(err)
			}
			s, err := env.NewScanner(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			col := s.Pipeline().Collect(ctx)
			if err := ctx.Err(); err != nil {
				return exitcode.ScanError(err)
			}
			if err := pipeline.WriteJSON(output, cmd.OutOrStdout(), pipeline.NewDocumentsFile(env.Tool, col)); err != nil {
				return exitcode.ScanError(err)
			}
			return nil
		},
	}
	registerScan(cmd.Flags(), &cfg)
	secrets.register(cmd.Flags())
	registerRemote(cmd.Flags(), &cfg.Target)
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the documents to `FILE` (atomically) instead of stdout; with SSH targets, DIR/ writes one file per target")
	return cmd
}

// collectTargets is collect over SSH targets: one documents file per
// target into a directory (written as each target completes), or one
// object with a section per target.
func collectTargets(ctx context.Context, env *pipeline.Env, cfg pipeline.ScanConfig, output string, stdout, stderr io.Writer) error {
	perTarget := strings.HasSuffix(output, "/")
	var dir *safefile.Dir
	if perTarget {
		if fi, err := os.Stat(filepath.Clean(output)); err == nil && !fi.IsDir() {
			return exitcode.UsageError(fmt.Errorf("output %s is not a directory: -o DIR/ writes one file per target into a directory", output))
		}
	} else if err := pipeline.CheckOutputFile(output); err != nil {
		return exitcode.UsageError(err)
	}
	sections := map[int]pipeline.TargetDocuments{}
	files := map[string]bool{}
	results, err := env.CollectTargets(ctx, cfg, func(i int, d *pipeline.TargetDocuments) error {
		if !perTarget {
			sections[i] = *d // kept with the documents: all are written at the end
			return nil
		}
		if d.Status == report.TargetFailed || d.File == nil {
			return nil // a partial file would pass for a complete one
		}
		if dir == nil {
			var err error
			if dir, err = safefile.OpenDir(output); err != nil {
				return fmt.Errorf("write documents to %s: %w", output, err)
			}
		}
		return pipeline.WriteJSONTo(dir, pipeline.UniqueTargetFileName(d.Info, files)+".json", d.File)
	})
	if dir != nil {
		dir.Close()
	}
	if err != nil {
		if exitcode.Of(err, -1) != -1 {
			return err
		}
		return exitcode.ScanError(err)
	}
	if !perTarget {
		byOrder := make([]pipeline.TargetDocuments, len(results))
		for i := range byOrder {
			byOrder[i] = sections[i]
		}
		if err := pipeline.WriteJSON(output, stdout, pipeline.NewTargetsDocumentsFile(env.Tool, byOrder)); err != nil {
			return exitcode.ScanError(err)
		}
	}
	failed := 0
	for _, r := range results {
		if r.Status == report.TargetFailed {
			failed++
			fmt.Fprintf(stderr, "error: %s\n", r.Error)
		}
	}
	if failed > 0 && !cfg.Target.AllowFailedTargets {
		return exitcode.Silent(exitcode.ScanFailed)
	}
	return nil
}
