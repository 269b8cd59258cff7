// Package probe is the only code that talks to the target. It builds HTTP
// requests from a case's Request, sends them without following redirects,
// reads response bodies up to a bound under a per-request timeout, and
// records everything as an Exchange (package wire) for check/ to judge.
package probe

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/wire"
)

// DefaultMaxBody is the default bound on how much of a response body is read.
const DefaultMaxBody = 1 << 20

// The records probe makes are wire's types (check judges them without
// importing probe); these names keep probe's callers' spelling.
type (
	Request     = wire.Request
	Response    = wire.Response
	Exchange    = wire.Exchange
	FailureKind = wire.FailureKind
)

// Failure kinds (wire.FailureNone and the others).
const (
	FailureNone        = wire.FailureNone
	FailureUnreachable = wire.FailureUnreachable
	FailureTimeout     = wire.FailureTimeout
	FailureBroken      = wire.FailureBroken
	FailureCancelled   = wire.FailureCancelled
	FailureBudget      = wire.FailureBudget
)

// The words an unreachable exchange's Err begins with when no HTTP
// conversation was possible for a reason in the setup, not the network:
// the preflight names the remedy from them.
const (
	// UntrustedCertificate: the TLS handshake failed on the certificate.
	UntrustedCertificate = "the target's TLS certificate is not trusted"
	// PlainHTTPAnswer: an https:// base URL whose port speaks plain HTTP.
	PlainHTTPAnswer = "the target answered in plain HTTP to an HTTPS request"
)

// Options configure a Client.
type Options struct {
	BaseURL string
	Timeout time.Duration // per request
	MaxBody int64         // bytes of response body read; DefaultMaxBody if 0
	TLS     *tls.Config   // nil: system roots, verified
	// MaxRPS caps the request rate (0: no cap).
	MaxRPS float64
	// MaxRequests caps the total number of requests (0: no cap); requests
	// past it are not sent and come back as FailureBudget.
	MaxRequests int64
	// Concurrency bounds requests in flight at once (0 or 1: one at a time).
	Concurrency int
	// Header is sent on every request (the config's target.headers), unless
	// the request sets the same header itself.
	Header http.Header
}

// Client sends requests to one target. It is safe for concurrent use: the
// rate cap, the request budget and the bound on requests in flight hold
// across every goroutine that shares it.
type Client struct {
	base     *url.URL
	http     *http.Client
	timeout  time.Duration
	maxBody  int64
	limiter  *rate.Limiter // nil: no rate cap
	budget   int64         // 0: unlimited
	sent     atomic.Int64
	inFlight chan struct{}
	header   http.Header
}

// New returns a Client for the base URL (e.g. https://host/v1).
func New(opts Options) (*Client, error) {
	base, err := config.ParseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("probe: base URL %q is not an absolute http(s) URL without query or fragment", opts.BaseURL)
	}
	if opts.Timeout <= 0 {
		return nil, fmt.Errorf("probe: timeout must be positive, got %s", opts.Timeout)
	}
	maxBody := opts.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:        opts.TLS,
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		// Compression is asked for explicitly (so the recorded request shows
		// it) and undone in Do under the body bound, keeping the response's
		// own Content-Encoding and Content-Length in the record.
		DisableCompression:  true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	var limiter *rate.Limiter
	if opts.MaxRPS > 0 {
		limiter = rate.NewLimiter(rate.Limit(opts.MaxRPS), 1)
	}
	return &Client{
		limiter:  limiter,
		header:   opts.Header.Clone(),
		budget:   opts.MaxRequests,
		inFlight: make(chan struct{}, max(opts.Concurrency, 1)),
		base:     base,
		http: &http.Client{
			Transport: transport,
			// Redirects are never followed: a 3xx is itself a finding, and
			// credentials must not travel to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: opts.Timeout,
		maxBody: maxBody,
	}, nil
}

// URL returns the absolute URL of a path relative to the base URL.
func (c *Client) URL(path string) string {
	return config.JoinURL(c.base.String(), path)
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Sent returns how many requests the client has sent.
func (c *Client) Sent() int64 { return c.sent.Load() }

// Concurrency returns the bound on requests in flight.
func (c *Client) Concurrency() int { return cap(c.inFlight) }

// Do sends one request and records the exchange. It never panics on what
// the target sends; transport failures are recorded, not returned. It
// waits for a slot under the concurrency bound and for the rate cap, and
// sends nothing once the request budget is spent.
//
// Its complexity (27) is that of one request's life in order (slot, rate
// cap, budget, send, bounded read, decompression, recording): split, the
// steps would pass the half-built Exchange between them and hide the order
// the bounds depend on.
func (c *Client) Do(ctx context.Context, r Request) Exchange {
	ex := Exchange{Request: r, URL: c.URL(r.Path)}
	select {
	case c.inFlight <- struct{}{}:
		defer func() { <-c.inFlight }()
	case <-ctx.Done():
		ex.Failure, ex.Err = FailureCancelled, "errconform stopped waiting: the run was cancelled or its deadline passed"
		return ex
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			ex.Failure, ex.Err = FailureCancelled, "errconform stopped waiting for the rate cap: the run was cancelled or its deadline passed"
			return ex
		}
	}
	if n := c.sent.Add(1); c.budget > 0 && n > c.budget {
		c.sent.Add(-1)
		ex.Failure, ex.Err = FailureBudget, fmt.Sprintf("not sent: the request budget (%d requests) is spent", c.budget)
		return ex
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var reqBody io.Reader
	if r.Body != nil {
		reqBody = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, ex.URL, reqBody)
	if err != nil {
		ex.Failure, ex.Err = FailureBroken, fmt.Sprintf("cannot build the request: %v", err)
		return ex
	}
	for name, values := range r.Header {
		req.Header[name] = values
	}
	for name, values := range c.header {
		if len(req.Header.Values(name)) == 0 {
			req.Header[http.CanonicalHeaderKey(name)] = values
		}
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	ex.Request.Header = req.Header.Clone()
	if r.Body != nil {
		req.ContentLength = int64(len(r.Body))
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Duration = time.Since(start)
		ex.Failure, ex.Err = classifyIn(caller, err, c.timeout)
		return ex
	}
	defer resp.Body.Close()
	// The body is closed when the request's time is up, whatever the
	// transport does: after a 101 Switching Protocols, Go hands over the raw
	// connection and no longer watches the context.
	stopClosing := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stopClosing()
	body := io.Reader(resp.Body)
	if resp.StatusCode == http.StatusSwitchingProtocols {
		ex.Duration = time.Since(start)
		ex.Response = &Response{Status: resp.StatusCode, Header: resp.Header}
		ex.Failure, ex.Err = FailureBroken, "the target switched protocols (101) instead of answering with an HTTP error"
		return ex
	}
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") && resp.ContentLength != 0 &&
		resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			ex.Duration = time.Since(start)
			ex.Response = &Response{Status: resp.StatusCode, Header: resp.Header}
			ex.Failure, ex.Err = FailureBroken, fmt.Sprintf("the body claims Content-Encoding gzip but is not gzip: %v", err)
			return ex
		}
		defer gz.Close()
		body = gz
	}
	// Decompressed or not, at most maxBody+1 bytes are ever read.
	limited, readErr := io.ReadAll(io.LimitReader(body, c.maxBody+1))
	ex.Duration = time.Since(start)
	ex.Response = &Response{Status: resp.StatusCode, Header: resp.Header, Body: limited}
	if int64(len(limited)) > c.maxBody {
		ex.Response.Body = limited[:c.maxBody]
		ex.Response.Truncated = true
	}
	if readErr != nil && ctx.Err() != nil && caller.Err() == nil {
		readErr = context.DeadlineExceeded // the body was closed by the request timeout
	}
	if readErr != nil {
		kind, msg := classifyIn(caller, readErr, c.timeout)
		if kind == FailureUnreachable {
			kind = FailureBroken
		}
		ex.Failure, ex.Err = kind, "reading the body: "+msg
	}
	return ex
}

// classifyIn classifies a transport error; when the caller's own context
// is done (the run was cancelled or its deadline passed, whatever cause the
// transport reports), errconform gave up: a harness outcome.
func classifyIn(caller context.Context, err error, timeout time.Duration) (FailureKind, string) {
	if caller.Err() != nil {
		return FailureCancelled, "errconform stopped waiting: the run was cancelled or its deadline passed"
	}
	return classify(err, timeout)
}

// classify turns a transport error into a kind and a sentence a person
// understands.
func classify(err error, timeout time.Duration) (FailureKind, string) {
	var netErr net.Error
	switch {
	case strings.Contains(err.Error(), "server response headers exceeded"):
		return FailureBroken, "the response headers exceed errconform's 64 KiB bound (a huge header block, or an endless run of 1xx responses)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailureUnreachable, "connection refused: nothing is listening at the target address"
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return FailureUnreachable, "no route to the target host: " + err.Error()
	case isDNSError(err):
		return FailureUnreachable, "the target host name does not resolve: " + err.Error()
	case isDialError(err):
		return FailureUnreachable, "cannot connect to the target: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return FailureTimeout, fmt.Sprintf("no complete response within the %s request timeout", timeout)
	case errors.Is(err, context.Canceled):
		return FailureCancelled, "errconform stopped waiting: the run was cancelled or its deadline passed"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return FailureBroken, "the connection was closed or reset before the response was complete"
	case errors.Is(err, http.ErrSchemeMismatch):
		return FailureUnreachable, PlainHTTPAnswer + " (" + err.Error() + ")"
	default:
		var tlsErr *tls.CertificateVerificationError
		if errors.As(err, &tlsErr) {
			return FailureUnreachable, UntrustedCertificate + ": " + tlsErr.Error()
		}
		return FailureBroken, err.Error()
	}
}

// isDialError: no TCP connection could be made (dial timeout included), or
// the proxy could not be reached.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	return strings.Contains(err.Error(), "proxyconnect")
}

func isDNSError(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}
