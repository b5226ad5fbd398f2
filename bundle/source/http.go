package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/internal/loopback"
)

// defaultClient bounds each phase of a request; the whole fetch is bounded
// by Options.Timeout through the context.
var defaultClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
	},
}

// checkURL allows https, and plain http only to a loopback address (a test
// server, a local mirror): elsewhere anyone on the path could swap the
// bundle, and an unsigned bundle has nothing else to protect it.
func checkURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback.Host(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("plain http is allowed only to a loopback address; use https://%s", u.Host)
	}
	return fmt.Errorf("unsupported URL scheme %q", u.Scheme)
}

// fetchHTTP gets an archive, sending the cached ETag so that an unchanged
// bundle costs a 304.
func (r *resolver) fetchHTTP(ctx context.Context, src string, cached *entry) ([]byte, string, error) {
	u, err := url.Parse(src)
	if err != nil {
		return nil, "", err
	}
	if err := checkURL(u); err != nil {
		return nil, "", err
	}
	client := r.opts.HTTPClient
	if client == nil {
		client = defaultClient
	}
	// Redirects obey the same rule as the URL itself.
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		return checkURL(req.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/gzip, application/octet-stream;q=0.9, */*;q=0.1")
	if cached != nil && cached.meta != "" {
		req.Header.Set("If-None-Match", cached.meta)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", unwrapURLError(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		return cached.data, cached.meta, nil
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, "", fmt.Errorf("HTTP %s", resp.Status)
	}
	if resp.ContentLength > artifact.MaxArchiveSize {
		return nil, "", fmt.Errorf("the server announces %d bytes, more than the %d MiB a bundle may have", resp.ContentLength, artifact.MaxArchiveSize>>20)
	}
	data, err := artifact.ReadLimited(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("download interrupted after %d bytes: %w", len(data), err)
	}
	if resp.ContentLength >= 0 && int64(len(data)) != resp.ContentLength {
		return nil, "", fmt.Errorf("truncated download: %d of %d bytes", len(data), resp.ContentLength)
	}
	return data, resp.Header.Get("ETag"), nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// (possibly credential-bearing) URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
