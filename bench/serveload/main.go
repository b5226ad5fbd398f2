// Command serveload measures `assay serve` under load, on loopback only and
// bounded in time and count: it runs the daemon in process with a fake
// scanner (scans every -scan-interval), scrapes /metrics at -rate per second
// for -duration and prints latency percentiles; then it runs -cycles scan
// cycles back to back and prints goroutines and heap at start and end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/pipeline/serve"
)

var gzipOn bool

func main() {
	rate := flag.Int("rate", 200, "scrapes per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to scrape")
	scanInterval := flag.Duration("scan-interval", 100*time.Millisecond, "time between fake scans during the load")
	scanCost := flag.Duration("scan-cost", 20*time.Millisecond, "how long one fake scan takes")
	policies := flag.Int("policies", 200, "policies in the fake report (series grow with it)")
	cycles := flag.Int("cycles", 1000, "scan cycles for the soak")
	flag.BoolVar(&gzipOn, "gzip", true, "ask for gzip, as Prometheus does")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the load phase to `FILE`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if *rate <= 0 || *rate > 2000 || *duration > 10*time.Minute || *cycles > 100000 {
		fmt.Fprintln(os.Stderr, "serveload: keep -rate in 1..2000, -duration under 10m, -cycles under 100000")
		os.Exit(2)
	}
	if err := run(*rate, *duration, *scanInterval, *scanCost, *policies, *cycles); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// bigReport is the Violations sample with n policies, each with a finding.
func bigReport(n int) *report.Report {
	r := exportertest.Violations()
	p0, f0 := r.Policies[0], r.Findings[0]
	for i := range n {
		p := p0
		p.ID = fmt.Sprintf("policy-%03d", i)
		r.Policies = append(r.Policies, p)
		f := f0
		f.PolicyID = p.ID
		f.ComputeFingerprint()
		r.Findings = append(r.Findings, f)
	}
	return r
}

func run(rate int, duration, scanInterval, scanCost time.Duration, policies, cycles int) error {
	rep := bigReport(policies)
	scan := func(ctx context.Context) (*report.Report, error) {
		select {
		case <-time.After(scanCost):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c := *rep // a fresh report value per scan, as a real scanner makes
		return &c, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d := &serve.Daemon{Scan: scan, Interval: scanInterval, Listeners: []net.Listener{l}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-d.Scanned()
	url := "http://" + l.Addr().String() + "/metrics"

	// Load: open-loop scrapes at a fixed rate, each on its own goroutine so a
	// slow answer does not lower the offered rate.
	// gzip as Prometheus asks for it; the client decompresses, as Prometheus does.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: !gzipOn}}
	var mu sync.Mutex
	var lat []time.Duration
	var failures, bytes int
	var wg sync.WaitGroup
	start := time.Now()
	period := time.Second / time.Duration(rate)
	// Send times are fixed in advance; a late sender catches up rather than
	// dropping scrapes, so the offered rate is the one asked for.
	for i := 0; ; i++ {
		next := start.Add(time.Duration(i) * period)
		if next.Sub(start) >= duration {
			break
		}
		time.Sleep(time.Until(next))
		{
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				resp, err := client.Get(url)
				var n int64
				if err == nil {
					n, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				el := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures++
					return
				}
				lat = append(lat, el)
				bytes = int(n)
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("load: %d scrapes in %.1fs (%.0f/s, offered %d/s), %d failed, %d bytes each, gzip %v, %d policies, scans every %v taking %v\n",
		len(lat), elapsed.Seconds(), float64(len(lat))/elapsed.Seconds(), rate, failures, bytes, gzipOn, policies, scanInterval, scanCost)
	fmt.Printf("scrape latency: p50 %v  p90 %v  p99 %v  max %v\n", pct(0.50), pct(0.90), pct(0.99), pct(1))
	cancel()
	if err := <-done; err != nil {
		return err
	}
	client.CloseIdleConnections()

	// Soak: scan cycles back to back on a fresh daemon, one scrape per
	// cycle; goroutines and heap after a GC at start and end.
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d2 := &serve.Daemon{Scan: func(ctx context.Context) (*report.Report, error) { c := *rep; return &c, nil },
		Interval: time.Microsecond, Listeners: []net.Listener{l2}}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- d2.Run(ctx2) }()
	url2 := "http://" + l2.Addr().String() + "/metrics"
	measure := func() (int, uint64) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	scrape := func() {
		if resp, err := client.Get(url2); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for range 10 { // warm up: first scans, connections, pools
		<-d2.Scanned()
		scrape()
	}
	g0, h0 := measure()
	t0 := time.Now()
	checkpoints := ""
	for i := range cycles {
		<-d2.Scanned()
		scrape()
		if (i+1)%(max(cycles/4, 1)) == 0 && i+1 < cycles {
			g, h := measure()
			checkpoints += fmt.Sprintf(" [%d: %d goroutines, %.2f MiB]", i+1, g, float64(h)/(1<<20))
		}
	}
	g1, h1 := measure()
	fmt.Printf("soak: %d scan cycles in %.1fs: goroutines %d -> %d, heap %.2f MiB -> %.2f MiB (%+.1f%%)\n",
		cycles, time.Since(t0).Seconds(), g0, g1, float64(h0)/(1<<20), float64(h1)/(1<<20), 100*(float64(h1)-float64(h0))/float64(h0))
	fmt.Printf("soak checkpoints:%s\n", checkpoints)
	cancel2()
	return <-done
}
