package prometheus_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/prometheus/pushtest"
	"github.com/assay-dev/assay/pipeline"
)

// fleetHost is the report of one host of a fleet, with its interface and
// the neighbors it sees.
func fleetHost(name, mac string, neighbors ...string) *report.Report {
	r := &report.Report{SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "assay", Version: "test"},
		Target: target.Info{Kind: target.KindRoot, Name: name}, StartedAt: time.Now().UTC(),
		Net: &report.Net{Interfaces: []report.NetInterface{{Name: "eth0", MAC: mac}}}}
	for i, n := range neighbors {
		r.Net.Neighbors = append(r.Net.Neighbors, report.NetNeighbor{Interface: "eth0", IP: fmt.Sprintf("10.77.0.%d", 100+i), MAC: n, Source: "arp_cache"})
	}
	return r
}

// TestPushgatewayEndToEnd: reports pushed to a real Pushgateway (as
// assay scan --push sends them) are scraped by a real Prometheus with the
// scrape job of prometheus.yml (honor_labels, so that instance stays the
// target), the example alert fires for the host with a mandatory
// violation, and the rogue-hosts recording rule finds exactly the MAC no
// host owns. A deleted group's series go away.
func TestPushgatewayEndToEnd(t *testing.T) {
	tool(t, "prometheus")
	if testing.Short() {
		t.Skip("starts a real Prometheus; skipped with -short")
	}
	gw := pushtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	push, err := pipeline.ParsePush(gw, []string{"site=par1"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	web := exportertest.Violations() // host web-1: two mandatory violations
	web.Net = nil
	const rogue = "00:16:3e:66:00:66"
	for _, r := range []*report.Report{
		web,
		fleetHost("h1", "00:16:3e:77:00:01", "00:16:3e:77:00:02", rogue),
		fleetHost("h2", "00:16:3e:77:00:02", "00:16:3e:77:00:01", rogue, "00:16:3e:77:00:03"),
		fleetHost("h3", "00:16:3e:77:00:03", "00:16:3e:77:00:01"),
	} {
		if err := push.Send(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	api := startPrometheus(t, ctx, []string{"assay-alerts.yml", "rogue-hosts.rules.yml"}, fmt.Sprintf(`  - job_name: assay-pushgateway
    honor_labels: true
    static_configs:
      - targets: [%q]
`, strings.TrimPrefix(gw, "http://")))

	// The alert fires for web-1, named by its instance, with the push label.
	poll(t, ctx, "AssayMandatoryViolation firing for web-1", func() bool {
		var resp struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		if getJSON(api+"alerts", &resp) != nil {
			return false
		}
		n := 0
		for _, a := range resp.Data.Alerts {
			if a.Labels["alertname"] == "AssayMandatoryViolation" && a.State == "firing" {
				if a.Labels["instance"] != "web-1" || a.Labels["job"] != "assay" || a.Labels["site"] != "par1" {
					t.Errorf("alert labels %v: want instance=web-1, job=assay, site=par1", a.Labels)
				}
				n++
			}
		}
		return n == 2
	})

	// The rogue-hosts recording rule over the pushed groups: exactly the
	// MAC no host owns, seen by h1 and h2.
	query := func(q string) []struct {
		Metric map[string]string `json:"metric"`
		Value  []any             `json:"value"`
	} {
		var resp struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  []any             `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if getJSON(api+"query?query="+url.QueryEscape(q), &resp) != nil {
			return nil
		}
		return resp.Data.Result
	}
	poll(t, ctx, "the rogue-hosts recording rule", func() bool { return len(query(`mac:assay_net_neighbor_unowned:count`)) > 0 })
	got := query(`mac:assay_net_neighbor_unowned:count`)
	if len(got) != 1 || got[0].Metric["mac"] != rogue || fmt.Sprint(got[0].Value[1]) != "2" {
		t.Errorf("mac:assay_net_neighbor_unowned:count = %+v, want one series mac=%s with value 2", got, rogue)
	}

	// Retiring web-1: its group is deleted, and its series leave the gateway.
	if err := push.Delete(ctx, "web-1"); err != nil {
		t.Fatal(err)
	}
	groups := pushtest.Groups(t, gw)
	if _, err := pushtest.Find(groups, "web-1"); err == nil || len(groups) != 3 {
		t.Errorf("after deleting web-1 the gateway holds %d groups (web-1: %v), want h1, h2, h3", len(groups), err)
	}
	poll(t, ctx, "web-1's series gone from the scrape", func() bool {
		return len(query(`assay_findings{instance="web-1"}`)) == 0
	})
}
