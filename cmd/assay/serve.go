package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/cmd/assay/internal/version"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/pipeline/serve"
)

func (c *cli) serveCmd() *cobra.Command {
	var (
		cfg         pipeline.ScanConfig
		interval    time.Duration
		jitter      time.Duration
		scanTimeout time.Duration
		listen      []string
		webListen   []string
		webConfig   string
		refresh     time.Duration
		secrets     secretFlags
		wf          waiverFlags
	)
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Scan on an interval and serve the results as Prometheus metrics",
		Long: `Serve loads the bundles once, scans the target every --interval (plus a
random --jitter, a tenth of the interval unless set, so a fleet does not scan
in lockstep), and serves the last completed scan on /metrics. A scrape never
starts or waits for a scan; a scan that fails or exceeds --scan-timeout keeps
the previous results and sets assay_scan_success to 0.

/healthz answers as soon as the server is up; /-/ready once a scan has
completed. SIGHUP reloads the bundles and re-reads the --overlay and waiver
files (an error in any keeps the old ones and sets
assay_config_last_reload_successful to 0); SIGTERM shuts down gracefully. A
waiver stops applying when it expires, in the first scan after;
assay_waiver_expiry_timestamp_seconds lets an alert fire before.

TLS and basic authentication are configured with --web.config.file, in the
format of the Prometheus exporter-toolkit (tls_server_config,
basic_auth_users). Metrics are listed in docs/metrics.md.

Serve logs at info level unless --log-level says otherwise: the addresses,
bundles, interval and target at start, then each scan.`,
		Example: `  # this host every 5 minutes, metrics on :9817
  assay serve

  # a host filesystem mounted at /host (Kubernetes DaemonSet), TLS and basic auth
  assay serve --root /host --interval 10m --web.config.file /etc/assay/web.yml`,
		Args: noBundleArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval <= 0 {
				return exitcode.UsageError(fmt.Errorf("--interval %v: must be positive", interval))
			}
			if jitter < 0 || scanTimeout < 0 {
				return exitcode.UsageError(errors.New("--jitter and --scan-timeout must not be negative"))
			}
			if !cmd.Flags().Changed("jitter") {
				jitter = serve.DefaultJitter(interval)
			}
			// A daemon says what it does: info level unless told.
			if f := cmd.Flag("log-level"); f != nil && !f.Changed {
				c.log.level = "info"
			}
			addrs := listenAddresses(cmd, listen, webListen)
			for _, a := range addrs {
				if err := checkListenAddress(a); err != nil {
					return exitcode.UsageError(err)
				}
			}
			if webConfig != "" {
				if err := web.Validate(webConfig); err != nil {
					return exitcode.UsageError(fmt.Errorf("--web.config.file %s: %w", webConfig, err))
				}
			}
			var err error
			if cfg.Waivers, err = wf.options(); err != nil {
				return err
			}
			ctx := cmd.Context()
			env := c.env(cmd)
			if err := secrets.apply(env); err != nil {
				return err
			}
			log := env.Logger
			if jitter > interval {
				log.Warn("--jitter is longer than --interval; using the interval", "jitter", jitter, "interval", interval)
				jitter = interval
			}
			// A directory that is down for a while must not blind the
			// daemon: scans go on with the last good data, marked stale.
			cfg.KeepLastGoodData = true
			budget, err := applyMemoryBudget(cfg.MaxMemory, log)
			if err != nil {
				return err
			}
			cfg.MaxMemory = budget
			// A policy over the budget is stopped, not the daemon; the
			// metrics count it.
			var d *serve.Daemon
			cfg.OverBudget = func(bundle, policy string) { d.PolicyOverBudget(bundle, policy) }
			s, err := env.NewScanner(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			log.Info("assay serve starting", "listen", strings.Join(addrs, ","), "bundles", bundleNames(s.Pipeline().Bundles),
				"interval", interval, "jitter", jitter, "target", s.Pipeline().Target.Info().Name)
			d = &serve.Daemon{
				Scan: s.Scan,
				Reload: func(ctx context.Context) error {
					// A bundle error keeps the old bundles; say what it is.
					err := s.Reload(ctx)
					showDiagnostics(cmd.ErrOrStderr(), err)
					return err
				},
				Interval:      interval,
				Jitter:        jitter,
				ScanTimeout:   scanTimeout,
				BundleRefresh: refresh,
				Web:           web.FlagConfig{WebListenAddresses: &addrs, WebConfigFile: &webConfig},
				Version:       version.String(),
				Logger:        log,
			}
			if err := d.Run(ctx); err != nil {
				return exitcode.ScanError(err)
			}
			return nil
		},
	}
	registerScan(cmd.Flags(), &cfg)
	registerOverlays(cmd.Flags(), &cfg.Overlays)
	registerMemory(cmd.Flags(), &cfg.MaxMemory)
	secrets.register(cmd.Flags())
	wf.register(cmd.Flags())
	f := cmd.Flags()
	// serve has no SSH targets: its --parallel help leaves them out.
	f.Lookup("parallel").Usage = "evaluations and collectors run at once (0: one per CPU)"
	f.DurationVar(&interval, "interval", 5*time.Minute, "time between the end of one scan and the start of the next")
	f.DurationVar(&jitter, "jitter", 0, "add a random delay up to this to each interval, at most the interval (default: a tenth of --interval)")
	f.DurationVar(&scanTimeout, "scan-timeout", 0, "stop a scan that runs longer than this (0: the interval)")
	f.StringArrayVar(&listen, "listen", []string{":9817"}, "`ADDRESS` to serve metrics on (repeatable)")
	f.StringArrayVar(&webListen, "web.listen-address", nil, "same as --listen, named as in Prometheus exporters (repeatable)")
	f.StringVar(&webConfig, "web.config.file", "", "exporter-toolkit web configuration `FILE` for TLS and basic auth")
	f.DurationVar(&refresh, "bundle-refresh", 0, "re-fetch and re-verify the bundles this often, swapping them in when they load (0: only on SIGHUP)")
	return cmd
}

// checkListenAddress refuses an address that can never be listened on, so
// that a typo is a usage error at once, not a failed daemon (exit 3) after
// the bundles loaded. vsock:// addresses are the exporter-toolkit's to check.
func checkListenAddress(addr string) error {
	if strings.HasPrefix(addr, "vsock://") {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w (want HOST:PORT or :PORT)", addr, err)
	}
	// LookupPort takes numbers and service names (/etc/services) alike.
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("--listen %q: port %q is not a port number from 0 to 65535 or a service name", addr, port)
	}
	return nil
}

// listenAddresses merges --listen and --web.listen-address: the default
// applies only when neither was given.
func listenAddresses(cmd *cobra.Command, listen, webListen []string) []string {
	if !cmd.Flags().Changed("listen") && len(webListen) > 0 {
		return webListen
	}
	if cmd.Flags().Changed("listen") {
		return append(append([]string(nil), listen...), webListen...)
	}
	return listen
}

// bundleNames lists the bundles for the start-up log: "name version, …".
func bundleNames(bs []*bundle.Bundle) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = strings.TrimSpace(b.Name + " " + b.Version)
	}
	return strings.Join(names, ", ")
}
