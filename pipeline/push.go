package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters/prometheus"
	"github.com/assay-dev/assay/internal/loopback"
)

// DefaultPushTimeout bounds each request to a Pushgateway unless
// --push-timeout says otherwise.
const DefaultPushTimeout = 30 * time.Second

// Push is where a run sends its metrics (--push URL): a Prometheus
// Pushgateway, one group per target, job="assay", instance=<target> and
// the operator's labels (--push-label).
type Push struct {
	URL     string
	Labels  map[string]string
	Timeout time.Duration
}

// ParsePush checks --push, --push-label and --push-timeout before any work:
// https:// to any host, plain http:// only to this machine (the one rule of
// internal/loopback), no credentials in the URL, labels NAME=VALUE with
// names Prometheus accepts that assay's metrics and the grouping key do
// not use. Its errors are the user's to fix.
func ParsePush(rawURL string, labels []string, timeout time.Duration) (*Push, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--push %q: %w", rawURL, err)
	}
	switch {
	case u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return nil, fmt.Errorf("--push %q: want the Pushgateway's http(s)://HOST:PORT", rawURL)
	case u.User != nil:
		return nil, fmt.Errorf("--push: the URL holds credentials, which would show in errors and logs; assay pushes without authentication (docs/fleet.md)")
	case u.Scheme == "http" && !loopback.Host(u.Hostname()):
		return nil, fmt.Errorf("--push %s: plain http:// only to this machine; use https://%s (the Pushgateway's --web.config.file enables TLS)", u.Redacted(), u.Host)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Path, "/metrics/"):
		return nil, fmt.Errorf("--push %s: give the Pushgateway's address only (https://HOST:PORT), without /metrics/job/…, query or fragment", u.Redacted())
	case timeout < 0:
		return nil, fmt.Errorf("--push-timeout %s: want a positive duration", timeout)
	}
	p := &Push{URL: strings.TrimSuffix(u.String(), "/"), Labels: map[string]string{}, Timeout: timeout}
	if p.Timeout == 0 {
		p.Timeout = DefaultPushTimeout
	}
	for _, l := range labels {
		name, value, ok := strings.Cut(l, "=")
		switch {
		case !ok || name == "":
			return nil, fmt.Errorf("--push-label %q: want NAME=VALUE", l)
		case !labelName.MatchString(name) || strings.HasPrefix(name, "__"):
			return nil, fmt.Errorf("--push-label %q: %q is not a label name (letters, digits and _, not starting with a digit or __)", l, name)
		case prometheus.ReservedLabel(name):
			return nil, fmt.Errorf("--push-label %q: %s is a label of assay's metrics or of the grouping key (job, instance); choose another name", l, name)
		}
		if _, dup := p.Labels[name]; dup {
			return nil, fmt.Errorf("--push-label: %s given twice", name)
		}
		p.Labels[name] = value
	}
	return p, nil
}

func (p *Push) group(instance string) prometheus.Group {
	return prometheus.Group{URL: p.URL, Instance: instance, Labels: p.Labels,
		Client: &http.Client{Timeout: p.Timeout, CheckRedirect: prometheus.NoRedirect}}
}

// Instance is the instance label of a report's group: the target's name,
// or for the host it runs on ("/"), the host name, so that every host of a
// fleet has its own group.
func Instance(r *report.Report) string {
	if r.Target.Kind == target.KindHost && r.Host != "" {
		return r.Host
	}
	return r.Target.Name
}

// Send pushes the report's metrics, replacing its target's group; a
// multi-target report pushes one group per target, and a target that
// could not be scanned only sets assay_scan_success to 0 in its group,
// which keeps its last good results. The error names each group that
// failed and says what the gateway answered; once the gateway does not
// answer, the groups left are not tried (each would wait as long).
func (p *Push) Send(ctx context.Context, r *report.Report) error {
	if !r.Multi() {
		return prometheus.Push(ctx, p.group(Instance(r)), r)
	}
	var errs []error
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.Report == nil {
			continue
		}
		g := p.group(Instance(t.Report))
		var err error
		if t.Status == report.TargetFailed {
			err = prometheus.PushFailed(ctx, g)
		} else {
			err = prometheus.Push(ctx, g, t.Report)
		}
		if err == nil {
			continue
		}
		errs = append(errs, err)
		var pe *prometheus.PushError
		if errors.As(err, &pe) && pe.Unreachable && i+1 < len(r.Targets) {
			errs = append(errs, fmt.Errorf("the groups of the %d targets after it were not pushed", len(r.Targets)-i-1))
			break
		}
	}
	return errors.Join(errs...)
}

// Delete removes the group of a target (assay push --delete): a host
// retired from the fleet, whose last results would otherwise stay on the
// gateway for ever.
func (p *Push) Delete(ctx context.Context, instance string) error {
	if instance == "" {
		return errors.New("--instance: name the target whose group to delete")
	}
	return prometheus.Delete(ctx, p.group(instance))
}
