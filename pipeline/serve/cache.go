package serve

import (
	"sync"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
)

// cachedCollector serves another collector's metrics for up to ttl. The
// process collector reads several /proc files per scrape; at hundreds of
// scrapes a second that, not assay's own metrics, would dominate the cost.
type cachedCollector struct {
	c   prom.Collector
	ttl time.Duration

	mu      sync.Mutex
	at      time.Time
	metrics []prom.Metric
}

func (c *cachedCollector) Describe(ch chan<- *prom.Desc) { c.c.Describe(ch) }

func (c *cachedCollector) Collect(ch chan<- prom.Metric) {
	c.mu.Lock()
	if time.Since(c.at) >= c.ttl {
		fresh := make(chan prom.Metric, 64)
		go func() {
			c.c.Collect(fresh)
			close(fresh)
		}()
		c.metrics = c.metrics[:0:0]
		for m := range fresh {
			c.metrics = append(c.metrics, m)
		}
		c.at = time.Now()
	}
	metrics := c.metrics
	c.mu.Unlock()
	for _, m := range metrics {
		ch <- m
	}
}
