package prometheus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/assay-dev/assay/core/report"
)

// PushJob is the job label of every group assay pushes.
const PushJob = "assay"

// InstanceLabel is the grouping label that names the target of a group.
const InstanceLabel = "instance"

// maxPushAnswer bounds what is read of a Pushgateway's answer to a push
// that failed (it only goes into the error message).
const maxPushAnswer = 4 << 10

// Group is one Pushgateway group: job="assay", instance=<target> and the
// operator's extra labels.
type Group struct {
	// URL is the Pushgateway's, without /metrics/job/….
	URL      string
	Instance string
	Labels   map[string]string
	// Client sends the requests; nil is a client that follows no
	// redirect. Its timeout bounds each request.
	Client *http.Client
}

func (g *Group) pusher(ctx context.Context) *push.Pusher {
	c := g.Client
	if c == nil {
		c = &http.Client{CheckRedirect: NoRedirect}
	}
	p := push.New(g.URL, PushJob).Client(&boundedDoer{ctx: ctx, c: c}).Grouping(InstanceLabel, g.Instance)
	for k, v := range g.Labels {
		p = p.Grouping(k, v)
	}
	return p
}

// NoRedirect is a CheckRedirect that follows no redirect: a push goes to
// the URL the operator gave, or fails.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Push replaces the group's metrics on the Pushgateway (HTTP PUT) with
// those a textfile of r would hold (-f prometheus): what the last run
// found, with assay_scan_success and its time.
func Push(ctx context.Context, g Group, r *report.Report) error {
	return g.wrap("push", g.pusher(ctx).Collector(oneShot(r, false)).PushContext(ctx))
}

// PushFailed records a target that could not be scanned, as assay serve
// does a failed scan: assay_scan_success drops to 0 and the rest of the
// group, the last good scan's metrics and their time, stays (HTTP POST
// replaces only the metrics it sends).
func PushFailed(ctx context.Context, g Group) error {
	failed := &ReportCollector{oneShot: true, failed: true} // assay_scan_success 0 only
	return g.wrap("push", g.pusher(ctx).Collector(failed).AddContext(ctx))
}

// Delete removes the group from the Pushgateway (HTTP DELETE): the metrics
// of a target that is no longer scanned.
func Delete(ctx context.Context, g Group) error {
	return g.wrap("delete", g.pusher(ctx).Delete())
}

// PushError is a push or delete that failed. Unreachable says the request
// got no answer (the gateway down, refused, too slow), which the next
// request would likely share.
type PushError struct {
	msg         string
	Unreachable bool
}

func (e *PushError) Error() string { return e.msg }

func (g *Group) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	return &PushError{msg: fmt.Sprintf("%s %s: %s", op, g.describe(), cleanAnswer(err.Error())), Unreachable: errors.As(err, &ue)}
}

func (g *Group) describe() string {
	return fmt.Sprintf("group job=%q instance=%q", PushJob, g.Instance)
}

// boundedDoer sends each request with ctx (Delete takes none) and reads at
// most maxPushAnswer bytes of an answer.
type boundedDoer struct {
	ctx context.Context
	c   *http.Client
}

func (d *boundedDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req.WithContext(d.ctx))
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxPushAnswer), resp.Body}
	return resp, nil
}

var spaces = regexp.MustCompile(`\s+`)

// cleanAnswer keeps what a Pushgateway answered printable on one line: a
// hostile one must not write terminal escapes to the operator's terminal.
func cleanAnswer(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	const limit = 512
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}

// pushLabels are the label names of the metrics assay pushes, which a
// grouping label must not take: the Pushgateway would refuse the push.
var pushLabels = map[string]bool{}

// ReservedLabel reports whether name is a label of assay's metrics, the
// job or the instance of a push, which --push-label may not set.
func ReservedLabel(name string) bool {
	return name == "job" || name == InstanceLabel || name == "target" || pushLabels[name]
}
