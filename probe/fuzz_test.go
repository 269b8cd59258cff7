package probe_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/errconform/errconform/probe"
)

const (
	fuzzMaxBody = 4096
	fuzzTimeout = 2 * time.Second
)

// fuzzAnswer is what the fuzz server sends for one input.
type fuzzAnswer struct {
	status      int
	headerName  string
	headerValue string
	body        []byte
	gzipIt      bool
}

// fuzzAnswers maps a request path to its answer: each fuzz call registers
// its input under a fresh path, so calls never see each other's input.
type fuzzAnswers struct {
	mu   sync.Mutex
	byID map[string]fuzzAnswer
	next atomic.Int64
}

func (a *fuzzAnswers) register(ans fuzzAnswer) (path string, unregister func()) {
	id := strconv.FormatInt(a.next.Add(1), 10)
	a.mu.Lock()
	a.byID[id] = ans
	a.mu.Unlock()
	return "/fuzz/" + id, func() {
		a.mu.Lock()
		delete(a.byID, id)
		a.mu.Unlock()
	}
}

func (a *fuzzAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	ans, ok := a.byID[strings.TrimPrefix(r.URL.Path, "/v1/fuzz/")]
	a.mu.Unlock()
	if !ok {
		http.Error(w, "no such fuzz input", http.StatusTeapot)
		return
	}
	body := ans.body
	if ans.gzipIt {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	// One fuzzed header, when Go would put it on the wire as given.
	if httpguts.ValidHeaderFieldName(ans.headerName) && httpguts.ValidHeaderFieldValue(ans.headerValue) {
		w.Header().Set(ans.headerName, ans.headerValue)
	}
	status := ans.status
	if status < 200 {
		// An informational response first (Go's server sends 1xx at once),
		// then a final one: a 1xx can never end an HTTP/1.1 exchange.
		w.WriteHeader(http.StatusEarlyHints)
		status += 100
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // refused for 204 and 304, or past a fuzzed Content-Length
}

// fuzzServerStatus clamps any int to a status Go's server will send: 100..599.
func fuzzServerStatus(n int) int {
	if n >= 100 && n <= 599 {
		return n
	}
	if n < 0 {
		n = -(n + 1)
	}
	return 100 + n%500
}

// FuzzReadResponse serves arbitrary statuses, headers and bodies (gzip
// compressed or not) from one 127.0.0.1 server per fuzz process: Do never
// panics, always returns within its timeout, and never keeps more than
// MaxBody bytes of body. The seed corpus is in testdata/fuzz/FuzzReadResponse.
func FuzzReadResponse(f *testing.F) {
	answers := &fuzzAnswers{byID: map[string]fuzzAnswer{}}
	srv := httptest.NewServer(answers)
	f.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		f.Fatalf("the fuzz server must listen on 127.0.0.1, got %s", srv.URL)
	}
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: fuzzTimeout, MaxBody: fuzzMaxBody})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(client.Close)

	f.Add(401, "Content-Type", "application/json", []byte(`{"error":{"message":"Invalid API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`), false)
	f.Fuzz(func(t *testing.T, status int, headerName, headerValue string, body []byte, gzipIt bool) {
		path, unregister := answers.register(fuzzAnswer{status: fuzzServerStatus(status), headerName: headerName, headerValue: headerValue, body: body, gzipIt: gzipIt})
		defer unregister()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		ex := client.Do(ctx, probe.Request{Method: http.MethodGet, Path: path})
		wall := time.Since(start)
		if ex.Response != nil {
			t.Logf("status %d, %d body bytes (truncated %t), failure %q %s, in %s", ex.Response.Status, len(ex.Response.Body), ex.Response.Truncated, ex.Failure, ex.Err, wall)
		} else {
			t.Logf("no response: failure %q %s, in %s", ex.Failure, ex.Err, wall)
		}

		// The timeout is honoured: 10x headroom, as a busy machine needs.
		if wall >= 10*fuzzTimeout || ex.Duration >= 10*fuzzTimeout {
			t.Errorf("Do took %s (recorded %s), past the %s timeout", wall, ex.Duration, fuzzTimeout)
		}
		if ex.Response != nil {
			if n := len(ex.Response.Body); n > fuzzMaxBody {
				t.Errorf("kept %d body bytes, over the %d-byte bound", n, fuzzMaxBody)
			}
			if ex.Response.Truncated && len(ex.Response.Body) != fuzzMaxBody {
				t.Errorf("truncated, yet kept %d bytes instead of the bound %d", len(ex.Response.Body), fuzzMaxBody)
			}
		}
		if ex.Response == nil && ex.Failure == probe.FailureNone {
			t.Errorf("no response and no failure recorded: %+v", ex)
		}
		if ex.Failure != probe.FailureNone && strings.TrimSpace(ex.Err) == "" {
			t.Errorf("failure %q without words for it", ex.Failure)
		}
		if ex.Failure == probe.FailureUnreachable || ex.Failure == probe.FailureCancelled || ex.Failure == probe.FailureBudget {
			t.Errorf("a listening server that answered was recorded as %q: %s", ex.Failure, ex.Err)
		}
	})
}

// TestDoEmptyGzipBodyIsNotBroken: a 204 (or 304) has no body by definition,
// and may still carry Content-Encoding: gzip (it describes the
// representation). FuzzReadResponse's no-content seed meets it.
func TestDoEmptyGzipBodyIsNotBroken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: fuzzTimeout, MaxBody: fuzzMaxBody})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ex := client.Do(context.Background(), probe.Request{Method: http.MethodGet, Path: "/models"})
	if ex.Response == nil || ex.Response.Status != http.StatusNoContent {
		t.Fatalf("want the 204 recorded, got %+v", ex)
	}
	if ex.Failure != probe.FailureNone || len(ex.Response.Body) != 0 {
		t.Errorf("an empty 204 is a complete response, got failure %q: %s", ex.Failure, ex.Err)
	}
}

// TestDoRunCancelledWithCauseIsCancelled: Ginkgo cancels the SpecContext with
// a cause ("suite timeout occurred") when --deadline passes, and net/http
// returns that cause, not context.Canceled: the exchange is still
// errconform giving up (cancelled), never a broken target.
func TestDoRunCancelledWithCauseIsCancelled(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(func() { close(release); srv.CloseClientConnections(); srv.Close() })
	client, err := probe.New(probe.Options{BaseURL: srv.URL + "/v1", Timeout: fuzzTimeout, MaxBody: fuzzMaxBody})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errors.New("suite timeout occurred")) })
	ex := client.Do(ctx, probe.Request{Method: http.MethodGet, Path: "/models"})
	if ex.Failure != probe.FailureCancelled {
		t.Errorf("a run cancelled with a cause is errconform giving up, got failure %q: %s", ex.Failure, ex.Err)
	}
}
