package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
)

// pushFlags send a run's metrics to a Pushgateway (scan, eval).
type pushFlags struct {
	url     string
	labels  []string
	timeout time.Duration
}

func (p *pushFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.url, "push", "", "also push the metrics to the Prometheus Pushgateway at `URL` (https://, or http:// to this machine), one group per target: job=\"assay\", instance=TARGET; a failed push is exit 3, the other outputs are still written")
	p.registerLabels(fs)
}

func (p *pushFlags) registerLabels(fs *pflag.FlagSet) {
	fs.StringArrayVar(&p.labels, "push-label", nil, "add `NAME=VALUE` to the grouping key of pushed metrics (repeatable)")
	fs.DurationVar(&p.timeout, "push-timeout", pipeline.DefaultPushTimeout, "give up a request to the Pushgateway after this long")
}

// parse checks the flags before any work; nil when --push is not given.
func (p *pushFlags) parse() (*pipeline.Push, error) {
	if p.url == "" {
		if len(p.labels) > 0 {
			return nil, exitcode.UsageError(errors.New("--push-label needs --push URL"))
		}
		return nil, nil
	}
	push, err := pipeline.ParsePush(p.url, p.labels, p.timeout)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	return push, nil
}

func pushCmd() *cobra.Command {
	var (
		flags    pushFlags
		del      bool
		instance string
		maxSize  int64 = pipeline.DefaultMaxReportSize
	)
	cmd := &cobra.Command{
		Use:   "push URL [REPORT.json...] | push URL --delete --instance TARGET",
		Short: "Push saved reports' metrics to a Prometheus Pushgateway, or delete a target's group",
		Long: `Push sends the metrics of saved JSON reports (assay scan -f json) to the
Prometheus Pushgateway at URL, as 'assay scan --push URL' does at the end
of a scan: one group per target, job="assay", instance=TARGET (the host
name for a scan of the host itself), plus each --push-label. A push
replaces everything the group held.

The Pushgateway keeps a group until it is deleted: a host that is retired
or leaves the inventory keeps its last results for ever, and alerts keep
firing on them. Delete its group with --delete --instance TARGET (and the
same --push-label values it was pushed with). docs/fleet.md discusses
staleness (push_time_seconds) and when to push rather than scrape.

URL is https://HOST:PORT, or http:// to this machine only; redirects are
not followed. A push or delete that fails is exit 3 with the gateway's
answer.`,
		Example: `  assay scan --push https://pushgateway.example.com:9091 --push-label site=par1
  assay push https://pushgateway.example.com:9091 web-1.json db-1.json
  assay push https://pushgateway.example.com:9091 --delete --instance web-1 --push-label site=par1`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return errors.New("push needs the Pushgateway's URL")
			case del && len(args) > 1:
				return errors.New("--delete takes no report: it deletes the group of --instance")
			case del && instance == "":
				return errors.New("--delete needs --instance TARGET: the instance label of the group to delete")
			case !del && instance != "":
				return errors.New("--instance is for --delete; a report's instance is its target")
			case !del && len(args) == 1:
				return errors.New("push needs JSON reports to push (assay scan -f json -o report.json), or --delete --instance TARGET")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			flags.url = args[0]
			push, err := flags.parse()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if del {
				if err := push.Delete(ctx, instance); err != nil {
					return exitcode.ScanError(err)
				}
				return nil
			}
			reports, err := pipeline.ReadReports(args[1:], maxSize)
			if err != nil {
				return err
			}
			var errs []error
			for _, r := range reports {
				if err := push.Send(ctx, r.Report); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", r.Path, err))
				}
			}
			if err := errors.Join(errs...); err != nil {
				return exitcode.ScanError(err)
			}
			return nil
		},
	}
	flags.registerLabels(cmd.Flags())
	cmd.Flags().BoolVar(&del, "delete", false, "delete the group of --instance from the Pushgateway instead of pushing")
	cmd.Flags().StringVar(&instance, "instance", "", "with --delete: the `TARGET` whose group to delete (its instance label)")
	cmd.Flags().Var(sizeFlag{&maxSize}, "max-size", "refuse a report larger than `SIZE`")
	return cmd
}
