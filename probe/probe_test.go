package probe_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/probe"
)

// newServer starts an httptest server on 127.0.0.1 and closes it when the
// test ends.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	return newBlockingServer(t, func(<-chan struct{}) http.HandlerFunc { return h })
}

// newBlockingServer is newServer for handlers that block: they must also
// watch release, which is closed before the server is, so that Close does
// not wait on them forever.
func newBlockingServer(t *testing.T, mk func(release <-chan struct{}) http.HandlerFunc) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(mk(release))
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	t.Cleanup(func() {
		close(release)
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func newClient(t *testing.T, baseURL string, timeout time.Duration, maxBody int64) *probe.Client {
	t.Helper()
	c, err := probe.New(probe.Options{BaseURL: baseURL, Timeout: timeout, MaxBody: maxBody})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		opts    probe.Options
		wantErr string
	}{
		{"relative path", probe.Options{BaseURL: "/v1", Timeout: time.Second}, "not an absolute http(s) URL"},
		{"relative name", probe.Options{BaseURL: "v1/models", Timeout: time.Second}, "not an absolute http(s) URL"},
		{"host without scheme", probe.Options{BaseURL: "localhost:8080", Timeout: time.Second}, "not an absolute http(s) URL"},
		{"empty", probe.Options{BaseURL: "", Timeout: time.Second}, "not an absolute http(s) URL"},
		{"unparsable", probe.Options{BaseURL: "http://[::1", Timeout: time.Second}, "not an absolute http(s) URL"},
		{"ftp", probe.Options{BaseURL: "ftp://127.0.0.1/v1", Timeout: time.Second}, "not an absolute http(s) URL"},
		{"query", probe.Options{BaseURL: "http://127.0.0.1:1/v1?x=1", Timeout: time.Second}, "without query"},
		{"zero timeout", probe.Options{BaseURL: "http://127.0.0.1:1/v1", Timeout: 0}, "timeout must be positive"},
		{"negative timeout", probe.Options{BaseURL: "http://127.0.0.1:1/v1", Timeout: -time.Second}, "timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := probe.New(tt.opts)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestClientURL(t *testing.T) {
	tests := []struct {
		base string
		path string
		want string
	}{
		{"http://127.0.0.1:1/v1", "/models", "http://127.0.0.1:1/v1/models"},
		{"http://127.0.0.1:1/v1/", "/models", "http://127.0.0.1:1/v1/models"},
		{"http://127.0.0.1:1/v1///", "/models", "http://127.0.0.1:1/v1/models"},
		{"http://127.0.0.1:1", "/v1/models", "http://127.0.0.1:1/v1/models"},
		{"https://127.0.0.1:1/v1", "/files/f-1?purpose=x", "https://127.0.0.1:1/v1/files/f-1?purpose=x"},
	}
	for _, tt := range tests {
		t.Run(tt.base+tt.path, func(t *testing.T) {
			c := newClient(t, tt.base, time.Second, 0)
			assert.Equal(t, tt.want, c.URL(tt.path))
		})
	}
}

func TestDoRecordsResponse(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
	}{
		{"ok json", 200, map[string]string{"Content-Type": "application/json", "X-Request-Id": "req_1"}, `{"id":"m-1"}`},
		{"error json", 401, map[string]string{"Content-Type": "application/json", "Www-Authenticate": `Bearer realm="api"`}, `{"error":{"type":"authentication_error","message":"bad key"}}`},
		{"rate limited", 429, map[string]string{"Content-Type": "application/json", "Retry-After": "3"}, `{"error":{"type":"rate_limit_error"}}`},
		{"empty body", 204, nil, ""},
		{"server error", 500, map[string]string{"Content-Type": "text/plain"}, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newClient(t, srv.URL+"/v1", time.Second, 0)
			req := probe.Request{Method: http.MethodGet, Path: "/models"}
			ex := c.Do(context.Background(), req)

			assert.Equal(t, probe.FailureNone, ex.Failure)
			assert.Empty(t, ex.Err)
			assert.Equal(t, srv.URL+"/v1/models", ex.URL)
			assert.Equal(t, req.Method, ex.Request.Method)
			assert.Equal(t, req.Path, ex.Request.Path)
			assert.Greater(t, ex.Duration, time.Duration(0))
			require.NotNil(t, ex.Response)
			assert.Equal(t, tt.status, ex.Response.Status)
			for k, v := range tt.header {
				assert.Equal(t, v, ex.Response.Header.Get(k), k)
			}
			assert.Equal(t, tt.body, string(ex.Response.Body))
			assert.False(t, ex.Response.Truncated)
		})
	}
}

type seen struct {
	method        string
	path          string
	rawQuery      string
	header        http.Header
	body          []byte
	contentLength int64
}

func TestDoSendsRequestAsGiven(t *testing.T) {
	tests := []struct {
		name string
		req  probe.Request
	}{
		{
			name: "post json with auth",
			req: probe.Request{
				Method: http.MethodPost,
				Path:   "/chat/completions",
				Header: http.Header{
					"Authorization": {"Bearer sk-test-123"},
					"Content-Type":  {"application/json"},
					"X-Multi":       {"a", "b"},
				},
				Body: []byte(`{"model":"m","messages":[]}`),
			},
		},
		{
			name: "get without body",
			req:  probe.Request{Method: http.MethodGet, Path: "/models?limit=2", Header: http.Header{"X-Api-Key": {"k"}}},
		},
		{
			name: "delete",
			req:  probe.Request{Method: http.MethodDelete, Path: "/files/file-1"},
		},
		{
			name: "put with empty non-nil body",
			req:  probe.Request{Method: http.MethodPut, Path: "/x", Body: []byte{}},
		},
		{
			name: "patch with binary body",
			req:  probe.Request{Method: http.MethodPatch, Path: "/x", Body: []byte{0, 1, 2, 0xff, '\n'}},
		},
		{
			name: "malformed json body sent verbatim",
			req: probe.Request{
				Method: http.MethodPost, Path: "/chat/completions",
				Header: http.Header{"Content-Type": {"application/json"}},
				Body:   []byte(`{"model": `),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 1)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b, r.ContentLength}
				w.WriteHeader(http.StatusNoContent)
			})
			c := newClient(t, srv.URL+"/v1", time.Second, 0)
			ex := c.Do(context.Background(), tt.req)
			require.Equal(t, probe.FailureNone, ex.Failure, ex.Err)
			require.NotNil(t, ex.Response)
			assert.Equal(t, http.StatusNoContent, ex.Response.Status)

			var s seen
			select {
			case s = <-got:
			default:
				t.Fatal("server saw no request")
			}
			wantPath, wantQuery, _ := strings.Cut(tt.req.Path, "?")
			assert.Equal(t, tt.req.Method, s.method)
			assert.Equal(t, "/v1"+wantPath, s.path)
			assert.Equal(t, wantQuery, s.rawQuery)
			for name, values := range tt.req.Header {
				assert.Equal(t, values, s.header.Values(name), name)
			}
			assert.Equal(t, len(tt.req.Body), len(s.body))
			if len(tt.req.Body) > 0 {
				assert.Equal(t, tt.req.Body, s.body)
				assert.Equal(t, int64(len(tt.req.Body)), s.contentLength)
			}
			want := tt.req
			want.Header = tt.req.Header.Clone()
			if want.Header == nil {
				want.Header = http.Header{}
			}
			want.Header.Set("Accept-Encoding", "gzip")
			assert.Equal(t, want, ex.Request, "the exchange records the request as sent, with the Accept-Encoding errconform adds")
			assert.Equal(t, "gzip", s.header.Get("Accept-Encoding"))
		})
	}
}

func TestDoBoundsBody(t *testing.T) {
	tests := []struct {
		name          string
		maxBody       int64
		size          int
		wantLen       int
		wantTruncated bool
	}{
		{"smaller than bound", 100, 99, 99, false},
		{"exactly the bound", 100, 100, 100, false},
		{"one over the bound", 100, 101, 100, true},
		{"far over the bound", 100, 64 << 10, 100, true},
		{"default bound", 0, probe.DefaultMaxBody + 10, probe.DefaultMaxBody, true},
		{"negative means default", -1, probe.DefaultMaxBody + 1, probe.DefaultMaxBody, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("0123456789"), tt.size/10+1)[:tt.size]
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write(body)
			})
			c := newClient(t, srv.URL, time.Second, tt.maxBody)
			ex := c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/big"})
			assert.Equal(t, probe.FailureNone, ex.Failure, ex.Err)
			require.NotNil(t, ex.Response)
			assert.Equal(t, tt.wantTruncated, ex.Response.Truncated)
			assert.Len(t, ex.Response.Body, tt.wantLen)
			assert.Equal(t, body[:tt.wantLen], ex.Response.Body)
		})
	}
}

func TestDoBoundsStreamedBody(t *testing.T) {
	// A chunked body that never ends is cut at the bound, not read forever.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 1024)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			default:
			}
		}
	})
	// No wall-clock bound (a busy machine breaks one): FailureNone shows
	// the body bound ended the read, not the (generous) request timeout.
	c := newClient(t, srv.URL, time.Minute, 4096)
	ex := c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/stream"})
	assert.Equal(t, probe.FailureNone, ex.Failure, ex.Err)
	require.NotNil(t, ex.Response)
	assert.True(t, ex.Response.Truncated)
	assert.Len(t, ex.Response.Body, 4096)
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is 50 MiB of zeros, gzip-compressed (about 50 KiB).
func gzipBomb(t testing.TB) []byte {
	bombOnce.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		require.NoError(t, err)
		zeros := make([]byte, 1<<20)
		for i := 0; i < 50; i++ {
			_, err = zw.Write(zeros)
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		bomb = buf.Bytes()
	})
	require.NotEmpty(t, bomb)
	return bomb
}

func TestDoGzip(t *testing.T) {
	plain := []byte(`{"error":{"type":"invalid_request_error","message":"compressed"}}`)
	tests := []struct {
		name     string
		payload  func(t testing.TB) []byte
		reqHdr   http.Header
		maxBody  int64
		wantBomb bool
	}{
		{"small gzip, no Accept-Encoding sent", func(t testing.TB) []byte { return gzipBytes(t, plain) }, nil, 4096, false},
		{"small gzip, Accept-Encoding sent", func(t testing.TB) []byte { return gzipBytes(t, plain) }, http.Header{"Accept-Encoding": {"gzip"}}, 4096, false},
		{"gzip bomb, no Accept-Encoding sent", gzipBomb, nil, 4096, true},
		{"gzip bomb, Accept-Encoding sent", gzipBomb, http.Header{"Accept-Encoding": {"gzip"}}, 4096, true},
		{"gzip bomb, default bound", gzipBomb, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := tt.payload(t)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write(payload)
			})
			// The body bound, not a wall-clock one (a busy machine breaks
			// that), shows the bomb was not inflated in full.
			c := newClient(t, srv.URL, time.Minute, tt.maxBody)
			bound := tt.maxBody
			if bound == 0 {
				bound = probe.DefaultMaxBody
			}
			var ex probe.Exchange
			require.NotPanics(t, func() {
				ex = c.Do(context.Background(), probe.Request{Method: http.MethodPost, Path: "/x", Header: tt.reqHdr})
			})
			require.NotNil(t, ex.Response, ex.Err)
			assert.Equal(t, http.StatusBadRequest, ex.Response.Status)
			assert.LessOrEqual(t, int64(len(ex.Response.Body)), bound)
			if tt.wantBomb {
				// Whether decoded (50 MiB of zeros) or raw (~50 KiB of gzip),
				// the body exceeds a 4 KiB bound; decoded it exceeds 1 MiB too.
				if tt.maxBody != 0 {
					assert.True(t, ex.Response.Truncated)
					assert.Len(t, ex.Response.Body, int(bound))
				}
				return
			}
			assert.Equal(t, probe.FailureNone, ex.Failure, ex.Err)
			// Either Go decoded it transparently or the raw bytes were kept.
			body := ex.Response.Body
			if !bytes.Equal(body, plain) {
				assert.Equal(t, payload, body)
			}
		})
	}
}

func TestDoDoesNotFollowRedirects(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var hits atomic.Int32
			other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusOK)
			})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", other.URL+"/landing")
				w.WriteHeader(status)
			})
			c := newClient(t, srv.URL+"/v1", time.Second, 0)
			ex := c.Do(context.Background(), probe.Request{
				Method: http.MethodPost,
				Path:   "/chat/completions",
				Header: http.Header{"Authorization": {"Bearer sk-must-not-travel"}},
				Body:   []byte(`{}`),
			})
			assert.Equal(t, probe.FailureNone, ex.Failure, ex.Err)
			require.NotNil(t, ex.Response)
			assert.Equal(t, status, ex.Response.Status)
			assert.Equal(t, other.URL+"/landing", ex.Response.Header.Get("Location"))
			assert.Zero(t, hits.Load(), "the redirect target must receive no request")
		})
	}
}

func TestDoTimeoutBeforeHeaders(t *testing.T) {
	srv := newBlockingServer(t, func(release <-chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	const timeout = 200 * time.Millisecond
	c := newClient(t, srv.URL, timeout, 0)
	start := time.Now()
	ex := c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/slow"})
	elapsed := time.Since(start)

	// The server never answers: the timeout ended it (50x headroom for a
	// busy machine), and not before it was due.
	assert.Less(t, elapsed, 50*timeout)
	assert.GreaterOrEqual(t, elapsed, timeout-20*time.Millisecond)
	assert.Equal(t, probe.FailureTimeout, ex.Failure, ex.Err)
	assert.Nil(t, ex.Response)
	assert.Contains(t, ex.Err, timeout.String())
	assert.Greater(t, ex.Duration, time.Duration(0))
}

func TestDoTimeoutMidBody(t *testing.T) {
	srv := newBlockingServer(t, func(release <-chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"partial":`)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	const timeout = 200 * time.Millisecond
	c := newClient(t, srv.URL, timeout, 0)
	start := time.Now()
	ex := c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/stall"})
	elapsed := time.Since(start)

	assert.Less(t, elapsed, 50*timeout, "the server never finishes the body: the timeout ended it")
	assert.Equal(t, probe.FailureTimeout, ex.Failure, ex.Err)
	assert.True(t, strings.HasPrefix(ex.Err, "reading the body: "), ex.Err)
	require.NotNil(t, ex.Response, "headers arrived, so the response is recorded")
	assert.Equal(t, http.StatusOK, ex.Response.Status)
	assert.Equal(t, `{"partial":`, string(ex.Response.Body))
	assert.False(t, ex.Response.Truncated)
}

func TestDoTimeoutFromCallerContext(t *testing.T) {
	srv := newBlockingServer(t, func(release <-chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	c := newClient(t, srv.URL, time.Hour, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	ex := c.Do(ctx, probe.Request{Method: http.MethodGet, Path: "/slow"})
	assert.Less(t, time.Since(start), 10*time.Second, "the caller's shorter deadline wins (100x headroom; the client's is an hour)")
	// The caller's deadline is the run's: errconform gave up, a harness
	// outcome (errored), not the target's timeout.
	assert.Equal(t, probe.FailureCancelled, ex.Failure, ex.Err)
	assert.Nil(t, ex.Response)
}

// hijackServer answers with raw bytes and then closes the connection.
func hijackServer(t *testing.T, raw string) *httptest.Server {
	t.Helper()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("response writer cannot be hijacked")
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString(raw)
		_ = buf.Flush()
		_ = conn.Close()
	})
	return srv
}

func TestDoBrokenConnection(t *testing.T) {
	tests := []struct {
		name         string
		raw          string
		wantResponse bool
		wantBody     string
	}{
		{
			name:         "closed mid-body",
			raw:          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n0123456789",
			wantResponse: true,
			wantBody:     "0123456789",
		},
		{
			name:         "closed mid chunked body",
			raw:          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
			wantResponse: true,
			wantBody:     "hello",
		},
		{
			name:         "closed before any response",
			raw:          "",
			wantResponse: false,
		},
		{
			name:         "closed mid headers",
			raw:          "HTTP/1.1 200 OK\r\nContent-Ty",
			wantResponse: false,
		},
		{
			name:         "garbage instead of HTTP",
			raw:          "SSH-2.0-OpenSSH_9.0\r\n",
			wantResponse: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := hijackServer(t, tt.raw)
			// FailureBroken, not FailureTimeout, shows the closed
			// connection ended it: no wall-clock bound, which a busy
			// machine breaks.
			c := newClient(t, srv.URL, time.Minute, 0)
			var ex probe.Exchange
			require.NotPanics(t, func() {
				ex = c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/x"})
			})
			assert.Equal(t, probe.FailureBroken, ex.Failure, ex.Err)
			assert.NotEmpty(t, ex.Err)
			if !tt.wantResponse {
				assert.Nil(t, ex.Response)
				return
			}
			require.NotNil(t, ex.Response)
			assert.Equal(t, http.StatusOK, ex.Response.Status)
			assert.Equal(t, tt.wantBody, string(ex.Response.Body))
			assert.True(t, strings.HasPrefix(ex.Err, "reading the body: "), ex.Err)
		})
	}
}

func TestDoConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	// FailureUnreachable, not FailureTimeout, shows the refusal ended it.
	c := newClient(t, "http://"+addr+"/v1", time.Minute, 0)
	ex := c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/models"})
	assert.Equal(t, probe.FailureUnreachable, ex.Failure, ex.Err)
	assert.Contains(t, ex.Err, "connection refused")
	assert.Nil(t, ex.Response)
	assert.Equal(t, "http://"+addr+"/v1/models", ex.URL)
}

func TestDoInvalidRequest(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("no request should reach the server")
	})
	c := newClient(t, srv.URL, time.Second, 0)
	ex := c.Do(context.Background(), probe.Request{Method: "BAD METHOD", Path: "/x"})
	assert.Equal(t, probe.FailureBroken, ex.Failure)
	assert.Contains(t, ex.Err, "cannot build the request")
	assert.Nil(t, ex.Response)
}

func TestDoReusesClientAcrossRequests(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, r.URL.Path)
	})
	c := newClient(t, srv.URL, time.Second, 0)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex := c.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/p"})
			assert.Equal(t, probe.FailureNone, ex.Failure, ex.Err)
			if assert.NotNil(t, ex.Response) {
				assert.Equal(t, "/p", string(ex.Response.Body))
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(8), hits.Load())
}
