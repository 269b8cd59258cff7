//go:build unix

package runner_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/runner"
)

// Hostile targets: "safe to point at anyone's staging". Each server below
// misbehaves in one way a broken or malicious target might; errconform must
// turn every one into failed cases with findings a person understands,
// within a bounded time and memory, and never crash, hang or call it a
// harness problem (errored / exit 3). Every server listens on 127.0.0.1
// only, and every loop in them is bounded in count and in time.

const (
	hostileKey = "sk-hostile-test-0000000000"
	// hostileFilter selects the nine GET /v1/models auth cases that need no
	// fixture: one request each, all prefetched concurrently.
	hostileFilter = "endpoint:models-list && no-fixture"
	hostileCases  = 17 // 14 auth variants on GET /models and the 3 positive controls
	// hostileTimeout: --gateway-timeout must be shorter: half of it. 1 s
	// was too short to read a 1 MiB body beside a CPU load (the finding
	// became the timeout instead of the read bound).
	hostileTimeout = 5 * time.Second
	// hostileWallBound: nine cases at concurrency 8 are two waves of at most
	// one request timeout each, plus process start and report writing
	// (about 11 s); 100 s leaves 9x for a busy machine, while a run that
	// ignored the timeout would be killed at 4x the bound.
	hostileWallBound = 100 * time.Second
	// hostileMaxRSSKiB bounds the peak resident memory of one run: the
	// README promises under 128 MiB against any single hostile target.
	hostileMaxRSSKiB = 128 << 10
	// hostileReportBytesPerCase bounds every report's size in proportion to
	// the number of cases (plus hostileReportBytesFixed for the page
	// furniture), whatever the target sends.
	hostileReportBytesPerCase = 48 << 10
	hostileReportBytesFixed   = 64 << 10
	// hostileServerLife bounds how long any server loop runs at all.
	hostileServerLife = 30 * time.Second
)

// measured is an errconform run with its wall time and peak memory.
type measured struct {
	outcome
	wall      time.Duration
	maxRSSKiB int64
}

// errconformMeasured runs the binary like errconform() does, and also
// records its wall time and peak RSS (measuredWithin). A run that
// outlives 4× the wall bound is killed so that a hang fails the test
// instead of stalling the suite.
func errconformMeasured(t *testing.T, env []string, args ...string) measured {
	t.Helper()
	return measuredWithin(t, 4*hostileWallBound, env, args...)
}

// measuredWithin is errconformMeasured killing the run after limit. Where
// /proc is, the peak is the child's VmHWM, sampled as it runs (a high-water
// mark: only growth in the last sampling interval can be missed). Where it
// is not, getrusage's: on Linux that is no measure of the child, whose
// ru_maxrss keeps the high-water mark of the memory it was forked from
// (Go's os/exec shares the parent's until exec), the test binary's.
func measuredWithin(t *testing.T, limit time.Duration, env []string, args ...string) measured {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	var hwm int64
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-time.After(20 * time.Millisecond):
			hwm = max(hwm, vmHWMKiB(cmd.Process.Pid))
		}
	}
	wall := time.Since(start)
	require.NoError(t, ctx.Err(), "errconform did not finish within %s: a hang\nstdout:\n%s\nstderr:\n%s", limit, stdout.String(), stderr.String())
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else {
		require.NoError(t, err)
	}
	m := measured{outcome: outcome{code, stdout.String(), stderr.String()}, wall: wall, maxRSSKiB: hwm}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && hwm == 0 {
		rss := int64(ru.Maxrss)
		if runtime.GOOS == "darwin" { // bytes there, KiB on Linux and the BSDs
			rss /= 1024
		}
		m.maxRSSKiB = max(m.maxRSSKiB, rss)
	}
	return m
}

// vmHWMKiB is the VmHWM line of a process's status (its peak RSS so far),
// 0 where there is no /proc or once the process is gone.
func vmHWMKiB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// hostileHTTP serves h on 127.0.0.1. Handlers must return once their
// request's context is done; every one here also stops at its own bound.
func hostileHTTP(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// hostileRaw listens on 127.0.0.1 and hands each accepted connection to
// handle in its own goroutine, with done closed at cleanup: handle must
// return by then. Cleanup closes the listener and every connection and
// waits for the goroutines.
func hostileRaw(t *testing.T, handle func(c net.Conn, done <-chan struct{})) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 1000 { // far more than the nine requests a run sends
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c, done)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + l.Addr().String()
}

// readRequestHead reads a request up to its blank line (GET, no body),
// at most 64 KiB and for at most 5s.
func readRequestHead(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(io.LimitReader(c, 64<<10))
	for range 1000 {
		line, err := br.ReadString('\n')
		if err != nil || line == "\r\n" || line == "\n" {
			break
		}
	}
	_ = c.SetReadDeadline(time.Time{})
}

// neverAnswer reads the request and holds the connection silent.
func neverAnswer(c net.Conn, done <-chan struct{}) {
	readRequestHead(c)
	select {
	case <-done:
	case <-time.After(hostileServerLife):
	}
}

// hostileGzipBomb is 1 GiB of zeros, gzip-compressed (about 1.3 MB),
// built once for the whole test binary.
var hostileGzipBomb = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		panic(err)
	}
	zeros := make([]byte, 1<<20)
	for range 1024 {
		if _, err := zw.Write(zeros); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

type hostileServer struct {
	name string
	what string // for the log: what the server does
	// start serves on 127.0.0.1 and returns the origin (http://ADDR).
	start func(t *testing.T) string
	// keywords: at least one finding of every case mentions one of them
	// (case-insensitive).
	keywords []string
}

func hostileServers() []hostileServer {
	return []hostileServer{
		{
			name: "endless-body",
			what: "401 application/json, then writes 32 KiB chunks until the client hangs up",
			start: func(t *testing.T) string {
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, `{"error":{"message":"`)
					chunk := bytes.Repeat([]byte("a"), 32<<10)
					stop := time.Now().Add(hostileServerLife)
					for i := 0; i < 1<<17 && time.Now().Before(stop); i++ { // ≤ 4 GiB, ≤ 30s
						if r.Context().Err() != nil {
							return
						}
						if _, err := w.Write(chunk); err != nil {
							return
						}
					}
				})
			},
			keywords: []string{"read bound"},
		},
		{
			name: "huge-type",
			what: "500 application/json whose error.type is a string of almost 1 MiB (500, not 401 or 400: a clean 401, or a 400 to every valid request, makes the target not testable in the preflight; a 5xx is judged)",
			start: func(t *testing.T) string {
				body := `{"error":{"message":"Invalid key.","type":"` + strings.Repeat("t", 1<<20-200) + `","param":null,"code":"invalid_api_key"}}`
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = io.WriteString(w, body)
				})
			},
			keywords: []string{"type", "cut"},
		},
		{
			name: "many-empty-objects",
			what: "422 application/json: an error with an array of about 330,000 empty objects (1 MiB)",
			start: func(t *testing.T) string {
				body := `{"error":{"message":"Invalid key.","type":"authentication_error","param":null,"code":"invalid_api_key","details":[` +
					strings.Repeat("{},", 330_000) + `{}]}}`
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnprocessableEntity)
					_, _ = io.WriteString(w, body)
				})
			},
			keywords: []string{"JSON values"},
		},
		{
			name: "big-header-values",
			what: "422 with 60 headers of 1,000 bytes each (60 KB, under the 64 KiB header bound) and a conforming body",
			start: func(t *testing.T) string {
				pad := strings.Repeat("\u00ff", 500)
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					for i := range 60 {
						w.Header().Set(fmt.Sprintf("X-Pad-%02d", i), pad)
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnprocessableEntity)
					_, _ = io.WriteString(w, `{"error":{"message":"Bad request.","type":"invalid_request_error","param":null,"code":null}}`)
				})
			},
			keywords: []string{"expected"},
		},
		{
			name: "drip",
			what: "401 headers at once, then one body byte every 300ms (20 bytes: 6s, past the 5s timeout)",
			start: func(t *testing.T) string {
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					rc := http.NewResponseController(w)
					_ = rc.Flush()
					body := `{"error":{"message":`
					for i := range 20 {
						if _, err := io.WriteString(w, body[i:i+1]); err != nil || rc.Flush() != nil {
							return
						}
						select {
						case <-r.Context().Done():
							return
						case <-time.After(300 * time.Millisecond):
						}
					}
				})
			},
			keywords: []string{"timeout"},
		},
		{
			name: "gzip-bomb",
			what: "401 Content-Encoding: gzip, 1 GiB of zeros compressed to ~1.3 MB",
			start: func(t *testing.T) string {
				bomb := hostileGzipBomb()
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("Content-Encoding", "gzip")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = w.Write(bomb)
				})
			},
			keywords: []string{"read bound"},
		},
		{
			name: "invalid-utf8",
			what: "401 application/json whose body holds bytes 0xff 0xfe",
			start: func(t *testing.T) string {
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, "{\"error\":{\"message\":\"Invalid \xff\xfe key.\",\"type\":\"authentication_error\",\"param\":null,\"code\":\"invalid_api_key\"}}")
				})
			},
			keywords: []string{"UTF-8"},
		},
		{
			name: "deep-array-10k",
			what: "401 application/json: [[[...]]] nested 10,000 deep (at encoding/json's depth limit)",
			start: func(t *testing.T) string {
				body := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, body)
				})
			},
			keywords: []string{"schema", "depth"},
		},
		{
			name: "deep-object-100k",
			what: `401 application/json: {"error":{"a":{"a":...}}} nested 100,000 deep (~600 KB)`,
			start: func(t *testing.T) string {
				body := `{"error":` + strings.Repeat(`{"a":`, 100000) + "null" + strings.Repeat("}", 100001)
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, body)
				})
			},
			keywords: []string{"depth"},
		},
		{
			name: "huge-headers",
			what: "401 with 200 headers of 1 KiB each (200 KiB, over the 64 KiB header bound)",
			start: func(t *testing.T) string {
				value := strings.Repeat("h", 1024)
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					for i := range 200 {
						w.Header().Set(fmt.Sprintf("X-Hostile-%03d", i), value)
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, `{"error":{"message":"Invalid API key.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`)
				})
			},
			keywords: []string{"header"},
		},
		{
			name: "reset-mid-body",
			what: "hijacked: 401 headers with Content-Length 1000, 10 body bytes, then SO_LINGER 0 and close (RST)",
			start: func(t *testing.T) string {
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					c, buf, err := http.NewResponseController(w).Hijack()
					if err != nil {
						return
					}
					_, _ = buf.WriteString("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n" + `{"error":{`)
					_ = buf.Flush()
					time.Sleep(50 * time.Millisecond) // let the head and the 10 bytes reach the client first
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0)
					}
					_ = c.Close()
				})
			},
			keywords: []string{"reset"},
		},
		{
			name: "never-answers",
			what: "raw listener: accepts, reads the request, never writes a byte",
			start: func(t *testing.T) string {
				return hostileRaw(t, neverAnswer)
			},
			keywords: []string{"timeout"},
		},
		{
			name: "redirect-loop",
			what: "302 Found with Location: the request's own URL",
			start: func(t *testing.T) string {
				return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, r.URL.String(), http.StatusFound)
				})
			},
			keywords: []string{"redirect"},
		},
		{
			name: "switching-protocols",
			what: "raw listener: 101 Switching Protocols (Upgrade: websocket) to a plain GET, then holds the connection silent",
			start: func(t *testing.T) string {
				return hostileRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequestHead(c)
					_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
					select {
					case <-done:
					case <-time.After(hostileServerLife):
					}
				})
			},
			keywords: []string{"timeout", "101", "switch"},
		},
		{
			name: "slow-headers",
			what: "raw listener: the status line and headers one byte every 100ms (~9s for the head, past the 5s timeout)",
			start: func(t *testing.T) string {
				head := "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Padding: " + strings.Repeat("p", 40) + "\r\n\r\n{}"
				return hostileRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequestHead(c)
					for i := range len(head) {
						if _, err := io.WriteString(c, head[i:i+1]); err != nil {
							return
						}
						select {
						case <-done:
							return
						case <-time.After(100 * time.Millisecond):
						}
					}
				})
			},
			keywords: []string{"timeout"},
		},
		{
			name: "close-on-accept",
			what: "raw listener: accepts, reads the request, closes without a byte",
			start: func(t *testing.T) string {
				return hostileRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequestHead(c)
					_ = c.Close()
				})
			},
			keywords: []string{"closed"},
		},
		{
			name: "reset-on-accept",
			what: "raw listener: accepts, reads the request, resets the connection (SO_LINGER 0)",
			start: func(t *testing.T) string {
				return hostileRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequestHead(c)
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0)
					}
					_ = c.Close()
				})
			},
			keywords: []string{"reset"},
		},
		{
			name: "not-http",
			what: "raw listener: another protocol's greeting (an SSH banner) instead of HTTP",
			start: func(t *testing.T) string {
				return hostileRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequestHead(c)
					_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\nInvalid SSH identification string.\r\n")
					_ = c.Close()
				})
			},
			keywords: []string{"malformed", "HTTP"},
		},
		{
			name: "endless-1xx",
			what: "raw listener: up to 5,000 '103 Early Hints' responses (~300 KB), never a final one, then holds the connection",
			start: func(t *testing.T) string {
				hint := []byte("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")
				return hostileRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequestHead(c)
					_ = c.SetWriteDeadline(time.Now().Add(hostileServerLife))
					for range 5000 {
						if _, err := c.Write(hint); err != nil {
							return
						}
					}
					select {
					case <-done:
					case <-time.After(hostileServerLife):
					}
				})
			},
			keywords: []string{"header", "timeout"},
		},
	}
}

// TestHostileTargets points errconform at each hostile server: exit 1, no
// crash, a bounded run in time and memory, and every selected case failed
// with a finding that says what went wrong.
func TestHostileTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile targets take a few seconds each")
	}
	for _, hs := range hostileServers() {
		t.Run(hs.name, func(t *testing.T) {
			t.Parallel()
			origin := hs.start(t)
			require.True(t, strings.HasPrefix(origin, "http://127.0.0.1:"), origin)
			dir := t.TempDir()
			jsonPath := filepath.Join(dir, "r.json")
			m := errconformMeasured(t, []string{"ERRCONFORM_API_KEY=" + hostileKey},
				"run", "--target", origin+"/v1", "--label-filter", hostileFilter,
				"--timeout", hostileTimeout.String(), "--gateway-timeout", (hostileTimeout / 2).String(), "--json", jsonPath,
				"--junit", filepath.Join(dir, "r.xml"), "--html", filepath.Join(dir, "r.html"), "--markdown", filepath.Join(dir, "r.md"),
				"--ctrf", filepath.Join(dir, "r.ctrf.json"))
			t.Logf("%s (%s): exit %d in %s, peak RSS %.1f MiB", hs.name, hs.what, m.code, m.wall.Round(time.Millisecond), float64(m.maxRSSKiB)/1024)
			all := m.stdout + m.stderr

			assert.Equal(t, 1, m.code, "a hostile target that accepts connections fails cases (exit 1), never errored (3) or a crash\n%s", all)
			assert.NotContains(t, m.stderr, "panic", all)
			assert.NotContains(t, m.stderr, "goroutine ", all)
			assert.Less(t, m.wall, hostileWallBound, "the run is bounded by the %s request timeout", hostileTimeout)
			assert.Positive(t, m.maxRSSKiB, "the child's peak RSS is measured")
			assert.Less(t, m.maxRSSKiB, int64(hostileMaxRSSKiB), "peak RSS %d KiB", m.maxRSSKiB)
			assert.NotContains(t, all, hostileKey, "the key never reaches the output")

			sizes := []string{fmt.Sprintf("terminal %d", len(all))}
			bound := int64(hostileCases*hostileReportBytesPerCase + hostileReportBytesFixed)
			assert.LessOrEqual(t, int64(len(all)), bound, "terminal output is bounded")
			for _, name := range []string{"r.json", "r.xml", "r.html", "r.md", "r.ctrf.json"} {
				info, err := os.Stat(filepath.Join(dir, name))
				require.NoError(t, err, "%s is written\n%s", name, all)
				assert.LessOrEqual(t, info.Size(), bound, "%s is bounded in proportion to the cases", name)
				sizes = append(sizes, fmt.Sprintf("%s %d", name, info.Size()))
			}
			t.Logf("%s: output bytes: %s", hs.name, strings.Join(sizes, ", "))
			data, err := os.ReadFile(jsonPath)
			require.NoError(t, err, "the JSON report is written\n%s", all)
			assert.NotContains(t, string(data), hostileKey, "the key never reaches the report")
			rep := readJSONReport(t, jsonPath)
			assert.Equal(t, hostileCases, rep.Summary.Total)
			assert.Equal(t, rep.Summary.Total, rep.Summary.Failed, "every case failed: %+v", rep.Summary)
			assert.Zero(t, rep.Summary.Errored, "a target that accepts connections is not a harness problem")
			require.Len(t, rep.Cases, hostileCases)
			for _, c := range rep.Cases {
				assert.Equal(t, "failed", string(c.Verdict), "%s: %+v", c.ID, c.Findings)
				require.NotEmpty(t, c.Findings, c.ID)
				matched := false
				for _, f := range c.Findings {
					assert.NotEmpty(t, strings.TrimSpace(f.Message), "%s: finding %s has no message", c.ID, f.Rule)
					for _, k := range hs.keywords {
						if strings.Contains(strings.ToLower(f.Message), strings.ToLower(k)) {
							matched = true
						}
					}
				}
				if c.Group == "control" {
					// A control expects a 200: the status finding says enough.
					matched = matched || c.Findings[0].Rule == "status" || c.Findings[0].Rule == "response"
				}
				assert.True(t, matched, "%s: no finding mentions any of %q: %+v", c.ID, hs.keywords, c.Findings)
			}
			if len(rep.Cases) > 0 {
				var lines []string
				for _, f := range rep.Cases[0].Findings {
					lines = append(lines, fmt.Sprintf("%s/%s: %s", f.Rule, f.Severity, f.Message))
				}
				t.Logf("%s: %s -> %s; findings: %s", hs.name, rep.Cases[0].ID, rep.Cases[0].Verdict, strings.Join(lines, " | "))
			}
		})
	}
}

// TestHostileDeadlineNeverPasses: a target slow enough that --deadline ends
// the run before any case completes must not make errconform exit 0 with
// an empty report; a CI gate would wave the deploy through.
func TestHostileDeadlineNeverPasses(t *testing.T) {
	origin := hostileRaw(t, neverAnswer)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	m := errconformMeasured(t, []string{"ERRCONFORM_API_KEY=" + hostileKey},
		"run", "--target", origin+"/v1", "--label-filter", hostileFilter,
		"--timeout", "10m", "--gateway-timeout", "5m", "--deadline", "2s", "--json", jsonPath)
	t.Logf("exit %d in %s\n%s%s", m.code, m.wall.Round(time.Millisecond), m.stdout, m.stderr)
	assert.Equal(t, 1, m.code, "a run cut short by --deadline fails the gate")
	// Ended by the deadline: a run that waited for the silent server would
	// take its 30 s life (hostileServerLife).
	assert.Less(t, m.wall, 2*time.Second+runner.CutShortGrace+cutShortSlack)
	rep := readJSONReport(t, jsonPath)
	assert.Equal(t, hostileCases, rep.Summary.Total, "every selected case is in the report, none dropped")
	assert.Zero(t, rep.Summary.Passed)
}
