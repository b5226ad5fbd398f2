package network

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

// Environment of the helper mode: the test binary re-runs itself inside a
// network namespace (`ip netns exec NS TESTBINARY`) to run one collector
// there, as assay would on that host, with that namespace's sysfs.
const (
	helperKindEnv = "ASSAY_NETMAC_HELPER_KIND"
	helperBodyEnv = "ASSAY_NETMAC_HELPER_BODY"
)

func TestMain(m *testing.M) {
	if kind := os.Getenv(helperKindEnv); kind != "" {
		os.Exit(helperMain(kind, os.Getenv(helperBodyEnv)))
	}
	os.Exit(m.Run())
}

// helperOutput is what the helper prints on stdout.
type helperOutput struct {
	Status    string              `json:"status"`
	Error     string              `json:"error"`
	Skipped   int                 `json:"skipped"`
	Documents []document.Document `json:"documents"`
}

func helperMain(kind, body string) int {
	k, ok := collector.NewRegistry(InterfacesType(), NeighborsType()).Lookup(kind)
	if !ok {
		fmt.Fprintf(os.Stderr, "helper: no collector kind %q\n", kind)
		return 2
	}
	f, diags := hclsyntax.ParseConfig([]byte(body), "helper.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, "helper:", diags)
		return 2
	}
	c, diags := k.New(f.Body, nil)
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, "helper:", diags)
		return 2
	}
	tgt, err := targets.Host()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	defer tgt.Close()
	r := &collectors.Runner{Target: tgt, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	out := r.Run(context.Background(), []collectors.Job{{Type: k, Name: "test", Collector: c}})[0]
	res := helperOutput{Status: string(out.Result.Status), Error: out.Result.Error, Skipped: out.Result.SkippedTotal, Documents: out.Documents}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return 0
}
