//go:build linux

package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Peak memory against hostile bodies, measured end to end: the child's
// VmHWM, read from /proc/<pid>/status while it runs (measuredWithin). The
// runs are
// the whole catalogue, and explore over every field deep, each writing all
// five reports, against a target whose every answer is one hostile body.
// The bound is the README's: under 128 MiB, whatever the target answers.

// boundsRunLimit kills a run that outlives it: a hang fails the test.
const boundsRunLimit = 5 * time.Minute

// peakRun runs errconform as errconformMeasured does, within
// boundsRunLimit, its peak RSS sampled from /proc as it goes.
func peakRun(t *testing.T, env []string, args ...string) measured {
	t.Helper()
	return measuredWithin(t, boundsRunLimit, env, args...)
}

// hostileBodyServer answers every request with status and the body write
// produces; the endless one stops at hostileServerLife or when errconform
// hangs up.
func hostileBodyServer(t *testing.T, status int, write func(w http.ResponseWriter, r *http.Request)) string {
	return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		write(w, r)
	})
}

// endlessBody writes 'A's until the client hangs up or hostileServerLife.
func endlessBody(w http.ResponseWriter, r *http.Request) {
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	stop := time.Now().Add(hostileServerLife)
	for time.Now().Before(stop) && r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// allReports are the five report flags into dir.
func allReports(dir string) []string {
	return []string{"--json", filepath.Join(dir, "r.json"), "--junit", filepath.Join(dir, "r.xml"), "--html", filepath.Join(dir, "r.html"),
		"--markdown", filepath.Join(dir, "r.md"), "--ctrf", filepath.Join(dir, "r.ctrf.json")}
}

// TestPeakRSSAgainstHostileBodies: the full catalogue with all five
// reports against a 1 MiB error.type, 330,000 empty objects and an endless
// body, and explore over every field deep (and the core set) against an
// endless 422 body (a 400 to every valid request would make the target
// not testable, and nothing would be judged): each run's peak RSS is under 128 MiB, and it ends
// failed (exit 1) with every report written.
func TestPeakRSSAgainstHostileBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("measures whole runs against megabyte answers")
	}
	// Not t.Parallel: beside the parallel tests' runs the GC, short of
	// CPU, let explore's peak reach 134 MiB (about 100 MiB alone).
	bigType := fmt.Sprintf(`{"error":{"message":"m","type":"%s","param":null,"code":null}}`, strings.Repeat("x", 1<<20))
	empties := `{"error":[` + strings.TrimSuffix(strings.Repeat("{},", 330_000), ",") + `]}`
	deep := filepath.Join(t.TempDir(), "deep.yaml")
	require.NoError(t, os.WriteFile(deep, []byte("fixtures:\n  model: m\nexplore:\n  deep: true\n  fields:\n    include: [\"*\"]\n"), 0o600))
	core := filepath.Join(t.TempDir(), "core.yaml")
	require.NoError(t, os.WriteFile(core, []byte("fixtures:\n  model: m\n"), 0o600))
	tests := []struct {
		name  string
		write func(http.ResponseWriter, *http.Request)
		args  []string
	}{
		{"run, a 1 MiB error.type", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(bigType)) }, []string{"run"}},
		{"run, 330,000 empty objects", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(empties)) }, []string{"run"}},
		{"run, an endless body", endlessBody, []string{"run"}},
		{"explore, the core set, an endless body", endlessBody, []string{"explore", "--config", core}},
		{"explore, every field deep, an endless body", endlessBody, []string{"explore", "--config", deep}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := hostileBodyServer(t, http.StatusUnprocessableEntity, tt.write)
			dir := t.TempDir()
			args := append(append(tt.args, "--target", origin+"/v1", "--quiet", "--timeout", "10s", "--gateway-timeout", "4s"), allReports(dir)...)
			m := peakRun(t, []string{"ERRCONFORM_API_KEY=" + hostileKey}, args...)
			t.Logf("%s: exit %d in %s, peak RSS %.1f MiB", tt.name, m.code, m.wall.Round(time.Millisecond), float64(m.maxRSSKiB)/1024)
			assert.Equal(t, 1, m.code, "%s%s", m.stdout, m.stderr)
			assert.Positive(t, m.maxRSSKiB, "VmHWM is read")
			assert.Less(t, m.maxRSSKiB, int64(hostileMaxRSSKiB), "peak RSS %d KiB", m.maxRSSKiB)
			for _, name := range []string{"r.json", "r.xml", "r.html", "r.md", "r.ctrf.json"} {
				info, err := os.Stat(filepath.Join(dir, name))
				require.NoError(t, err, name)
				assert.Positive(t, info.Size(), name)
			}
			rep := readJSONReport(t, filepath.Join(dir, "r.json"))
			assert.Positive(t, rep.Summary.Failed)
			for _, c := range rep.Cases {
				if c.Response != nil && c.Response.BodyBytes > 64<<10 {
					assert.Contains(t, c.Response.BodyExcerpt, "bytes in all)", "%s: a cut body says how long it was", c.ID)
					assert.LessOrEqual(t, len(c.Response.BodyExcerpt), 4<<10, c.ID)
				}
			}
		})
	}
}

// A Pushgateway that never answers cannot hold the run past its
// --deadline: the push is inside it (it had a 30 s timeout of its own).
// And one that answers 500 with megabytes of terminal escapes gets a
// bounded, printable line on stderr.
func TestPushIsInsideTheDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	silent := hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		select { // holds the push until errconform hangs up
		case <-r.Context().Done():
		case <-release:
		case <-time.After(hostileServerLife):
		}
	})
	t.Cleanup(func() { close(release) })
	m := peakRun(t, nil, "run", "--target", "reference", "--quiet", "--deadline", "5s", "--pushgateway", silent)
	t.Logf("exit %d in %s\n%s", m.code, m.wall.Round(time.Millisecond), m.stderr)
	assert.Equal(t, 1, m.code, "a push that did not happen fails the run")
	assert.Contains(t, m.stderr, "--pushgateway")
	assert.Contains(t, m.stderr, "--deadline (5s) passed")
	assert.Less(t, m.wall, 20*time.Second, "the push ends with the deadline, not 30 s later")

	const fake = "\x1b]0;owned\x07\x1b[2J\rall cases passed\n"
	loud := hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat(fake, 1024))
		for range 4096 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	m = peakRun(t, nil, "run", "--target", "reference", "--quiet", "--pushgateway", loud)
	assert.Equal(t, 1, m.code, m.stderr)
	assert.Less(t, len(m.stderr), 64<<10, "stderr is bounded")
	assert.Contains(t, m.stderr, "all cases passed")
	for _, c := range []string{"\x1b", "\x07", "\r"} {
		assert.NotContains(t, m.stdout+m.stderr, c)
	}
}

// monitor's push is inside each run's --deadline too (it had a 30 s
// timeout of its own, outside it): against a Pushgateway that never
// answers, the run's push fails with the deadline's cause within it.
func TestMonitorPushIsInsideTheRunsDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	silent := hostileHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		select { // holds the push until errconform hangs up
		case <-r.Context().Done():
		case <-release:
		case <-time.After(hostileServerLife):
		}
	})
	t.Cleanup(func() { close(release) })
	start := time.Now()
	m := startMonitor(t, nil, "--target", "reference", "--interval", "1h", "--deadline", "5s", "--pushgateway", silent)
	for !strings.Contains(m.stderr.String(), "--pushgateway") {
		require.Less(t, time.Since(start), 25*time.Second, "the push ends with the run's deadline, not 30 s after it: %s", m.output())
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("push failed after %s: %s", time.Since(start).Round(time.Millisecond), m.stderr.String())
	assert.Contains(t, m.stderr.String(), "--deadline (5s) passed")
	m.stop(t)
}

// monitor's listener holds at most its cap of connections (the rest wait
// in the kernel's backlog, costing the process nothing), and a client
// that never sends its request is hung up on after the header timeout
// (5 s): 300 silent connections neither pile up descriptors nor keep
// /metrics from answering once they are dropped.
func TestMonitorListenerIsBounded(t *testing.T) {
	t.Parallel()
	m := startMonitor(t, nil, "--target", "reference", "--interval", "1h")
	pid := m.cmd.Process.Pid
	addr := strings.TrimPrefix(m.url, "http://")
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range 300 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	time.Sleep(500 * time.Millisecond) // let it accept what it will
	// The connections the monitor accepted on its port, counted exactly
	// (not its descriptors: its own run against the reference opens and
	// closes others meanwhile, more of them on a busy machine).
	held := acceptedConns(t, pid, port)
	t.Logf("300 silent connections: the monitor holds %d of them", held)
	assert.LessOrEqual(t, held, 64, "at most the cap of connections is accepted")
	assert.Positive(t, held, "the monitor accepts connections up to its cap")

	// The first accepted one is hung up on after the header timeout.
	_ = conns[0].SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	_, err = conns[0].Read(make([]byte, 1))
	assert.Error(t, err, "the server closes a connection that sends no request")
	assert.Less(t, time.Since(start), 25*time.Second, "within the header timeout, not never")
	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	assert.NotEmpty(t, m.scrape(t), "/metrics answers once the silent clients are gone")
	m.stop(t)
}

// acceptedConns counts the TCP connections process pid holds whose local
// port is port, that is the ones its listener there accepted: the socket
// descriptors in /proc/PID/fd matched by inode with /proc/PID/net/tcp{,6}.
func acceptedConns(t *testing.T, pid int, port string) int {
	t.Helper()
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	hexPort := fmt.Sprintf("%04X", n)
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(fdDir)
	require.NoError(t, err)
	sockets := map[string]bool{}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			sockets[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	count := 0
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6 here
		}
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st ... inode: st 0A is LISTEN.
			f := strings.Fields(line)
			if len(f) < 10 {
				continue
			}
			if _, local, _ := strings.Cut(f[1], ":"); local == hexPort && f[3] != "0A" && sockets[f[9]] {
				count++
			}
		}
	}
	return count
}

// rawControls are the control characters a hostile file or target plants
// to steer a terminal: none may reach any output raw.
var rawControls = []string{"\x1b", "\x07", "\x9b", "\u202e"}

// markdownLive is Markdown that would render as an image, a link or an
// autolink.
var markdownLive = []string{"![t](", "](http", "<https://", " www.evil", "(http://", "[x](", "https://evil"}

// assertInert checks that no raw control character reaches text, and,
// for Markdown, no live link or image syntax.
func assertInert(t *testing.T, what, text string, markdown bool) {
	t.Helper()
	for _, c := range rawControls {
		assert.NotContains(t, text, c, "%s holds %q raw", what, c)
	}
	if markdown {
		prose := mdProse(text)
		for _, live := range markdownLive {
			assert.NotContains(t, prose, live, "%s holds live Markdown %q", what, live)
		}
	}
}

// mdProse is Markdown without its code (fenced blocks, code spans, <code>
// elements): where links, images and autolinks would render.
func mdProse(md string) string {
	spans := regexp.MustCompile("`[^`]*`|<code>.*?</code>")
	var out []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, "`") == "" {
				fence = ""
			}
		case strings.HasPrefix(trimmed, "```"):
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
		default:
			out = append(out, spans.ReplaceAllString(line, ""))
		}
	}
	return strings.Join(out, "\n")
}

// A contract file, a request schema and a target that plant terminal
// escapes and Markdown links and images: contract check, run and explore
// print them as visible escapes, and the Markdown summary (a CI step
// summary) renders no image, link or autolink from them; the HTML, the
// metrics and the terminal (even with --quiet) hold no raw control.
func TestFileAndTargetTextIsInert(t *testing.T) {
	dir := t.TempDir()
	const planted = `x\e]0;owned\a\x9b\u202e ![t](http://127.0.0.1:1/t.png) [x](http://127.0.0.1:1/) <https://evil.example> www.evil.example`
	data, err := os.ReadFile(acmeContract)
	require.NoError(t, err)
	hostile := strings.Replace(string(data), "    wrong-type:                  {status: 400}\n",
		`    wrong-type: {not_in_contract: "`+planted+`"}`+"\n", 1)
	require.NotEqual(t, string(data), hostile, "the fixture still has the line replaced")
	contract := filepath.Join(dir, "contract.yaml")
	require.NoError(t, os.WriteFile(contract, []byte(hostile), 0o600))

	out := errconform(t, nil, "contract", "check", contract)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	assert.Contains(t, out.stdout, `x\x1b]0;owned\x07`, "the reason is shown, escaped")
	assertInert(t, "contract check", out.stdout+out.stderr, false)

	// A request schema whose field name plants the same (no '/': a
	// field's name is matched as a path).
	schema := filepath.Join(dir, "requests.json")
	field := "x\u001b]0;owned\u0007\u202e ![t](https:evil.example) [x](https:evil.example) www.evil.example"
	fieldJSON, err := json.Marshal(field)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(schema, []byte(`{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
	  "components": {"schemas": {"CreateChatCompletionRequest": {"type": "object", "required": ["model", "messages"], "properties": {
	    "model": {"type": "string"}, "messages": {"type": "array", "minItems": 1, "items": {"type": "object"}},
	    `+string(fieldJSON)+`: {"type": "integer", "minimum": 0, "maximum": 3}}}}}}`), 0o600))
	cfg := filepath.Join(dir, "errconform.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("explore:\n  request_schema: "+schema+"\n  fields: {include: [\"x*\"]}\n"), 0o600))

	// A target whose every error plants them in its message.
	message, err := json.Marshal(planted + " \x1b[2J\x07 ![t](http://127.0.0.1:1/t.png)")
	require.NoError(t, err)
	target := hostileBodyServer(t, http.StatusUnprocessableEntity, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintf(w, `{"error":{"message":%s,"type":%s,"param":null,"code":null}}`, message, message)
	})

	tests := []struct {
		name string
		args []string
	}{
		{"run under the hostile contract", []string{"run", "--target", "reference", "--contract", contract}},
		{"explore over the hostile schema, quiet", []string{"explore", "--target", "reference", "--config", cfg, "--quiet"}},
		{"explore over the hostile schema", []string{"explore", "--target", "reference", "--config", cfg}},
		{"run against the hostile target", []string{"run", "--target", target + "/v1", "--label-filter", hostileFilter, "--timeout", "5s", "--gateway-timeout", "2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append(append(tt.args, allReports(out)...), "--metrics", filepath.Join(out, "m.prom"))
			m := errconform(t, []string{"ERRCONFORM_API_KEY=" + hostileKey}, args...)
			require.Contains(t, []int{0, 1}, m.code, m.stdout+m.stderr)
			assertInert(t, "the terminal", m.stdout+m.stderr, false)
			for _, name := range []string{"r.md", "r.html", "m.prom", "r.xml"} {
				data, err := os.ReadFile(filepath.Join(out, name))
				require.NoError(t, err)
				assertInert(t, name, string(data), name == "r.md")
			}
			md, err := os.ReadFile(filepath.Join(out, "r.md"))
			require.NoError(t, err)
			t.Logf("%s: Markdown summary:\n%s", tt.name, md)
		})
	}
}

// fleetScaleSize is how many targets TestFleetReportsWithinTheDeadline
// runs: 32 in make test; ERRCONFORM_FLEET_SIZE=256 measures the issue's
// fleet (a slow test: minutes on a loaded 2-core machine).
func fleetScaleSize(t *testing.T) int {
	if v := os.Getenv("ERRCONFORM_FLEET_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "ERRCONFORM_FLEET_SIZE")
		return n
	}
	return 32
}

// issueBound is issue 24's bound on a fleet's stop: the deadline itself,
// or 3 s after SIGINT.
func issueBound(interrupted bool) string {
	if interrupted {
		return "within 3s of SIGINT"
	}
	return "within the deadline"
}

// A fleet of many targets writing all five reports: with --deadline it
// ends near its deadline (the cases stop a tenth before it, the reports
// are written compact if they are not done by then), and SIGINT cuts the
// run and its report writing short, with every report complete and valid.
// Each target is the same quick 127.0.0.1 server under its own name.
func TestFleetReportsWithinTheDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a fleet")
	}
	t.Parallel()
	size := fleetScaleSize(t)
	var served, holdAfter atomic.Int64
	var release atomic.Pointer[chan struct{}]
	origin := hostileBodyServer(t, http.StatusUnprocessableEntity, func(w http.ResponseWriter, _ *http.Request) {
		// Past holdAfter requests (0: never), an answer waits for the
		// release: the SIGINT below then always finds the fleet running
		// (an idle machine ran the whole 32-target fleet in 1.5 s, before
		// a fixed delay's signal arrived).
		if n, h := served.Add(1), holdAfter.Load(); h > 0 && n > h {
			if ch := release.Load(); ch != nil {
				select {
				case <-*ch:
				case <-time.After(boundsRunLimit / 2):
				}
			}
		}
		_, _ = io.WriteString(w, `{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`)
	})
	var b strings.Builder
	b.WriteString("fixtures: {model: m}\ntarget: {timeout: 10s, gateway_timeout: 4s}\ntargets:\n")
	for i := range size {
		fmt.Fprintf(&b, "  - {name: t%03d, base_url: %q}\n", i, origin+"/v1")
	}
	cfg := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(b.String()), 0o600))
	const deadline = 30 * time.Second

	tests := []struct {
		name      string
		interrupt time.Duration // 0: none
	}{
		{"the deadline", 0},
		{"SIGINT while it runs", 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), boundsRunLimit)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append([]string{"run", "--config", cfg, "--quiet", "--deadline", deadline.String()}, allReports(dir)...)...)
			cmd.Env = append(os.Environ(), "ERRCONFORM_API_KEY="+hostileKey)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			before := served.Load()
			if tt.interrupt > 0 {
				// A tenth of the fleet's requests are answered at once,
				// the rest are held until the SIGINT has been sent.
				ch := make(chan struct{})
				release.Store(&ch)
				holdAfter.Store(before + int64(size)*20)
				defer func() { holdAfter.Store(0); close(ch) }()
			}
			start := time.Now()
			require.NoError(t, cmd.Start())
			stopped := start.Add(deadline)
			if tt.interrupt > 0 {
				time.Sleep(tt.interrupt)
				// Interrupt a run that is sending, and still is: on a busy
				// machine 1.5 s passed before errconform was that far (the
				// SIGINT then killed it before it handled signals, and
				// wrote nothing); requests past holdAfter are being held.
				require.Eventually(t, func() bool { return served.Load() > holdAfter.Load() }, boundsRunLimit/2, 10*time.Millisecond, "the fleet's requests did not reach the hold")
				stopped = time.Now()
				require.NoError(t, cmd.Process.Signal(os.Interrupt), "the fleet is running: its requests are held")
			}
			err := cmd.Wait()
			ended := time.Now()
			require.NoError(t, ctx.Err(), "errconform hung\n%s", stderr.String())
			// The issue's bounds are 30 s and 3 s after SIGINT on an idle
			// machine; the asserts below allow for a loaded one, and the
			// figures against the issue's, and the load, are printed.
			load, _ := os.ReadFile("/proc/loadavg")
			t.Logf("%d targets: exit %v after %s, %s after the stop (the issue's bound: %s; load average %s)\n%s", size, err,
				ended.Sub(start).Round(time.Millisecond), ended.Sub(stopped).Round(time.Millisecond), issueBound(tt.interrupt > 0),
				strings.Join(strings.Fields(string(load))[:3], " "), stderr.String())
			if tt.interrupt > 0 {
				// The issue's bound is 3 s on an idle machine; 10 s is
				// generous for a loaded one and far below the minute a
				// quadratic redaction took.
				assert.Less(t, ended.Sub(stopped), 10*time.Second, "SIGINT cuts the report writing short")
				assert.Contains(t, stderr.String(), "interrupted (SIGINT)")
			} else {
				assert.Less(t, ended.Sub(start), deadline+10*time.Second, "the reports are written within (about) the deadline")
			}
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				codes := []int{0, 1}
				if tt.interrupt > 0 {
					codes = []int{130} // 128 + SIGINT
				}
				assert.Contains(t, codes, exitErr.ExitCode(), stderr.String())
			}
			rep := readJSONReport(t, filepath.Join(dir, "r.json"))
			assert.Len(t, rep.Targets, size, "every target is in the report")
			var ctrf map[string]any
			data, err := os.ReadFile(filepath.Join(dir, "r.ctrf.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &ctrf), "the CTRF report is valid JSON")
			data, err = os.ReadFile(filepath.Join(dir, "r.xml"))
			require.NoError(t, err)
			var junit struct {
				Suites []struct{} `xml:"testsuite"`
			}
			require.NoError(t, xml.Unmarshal(data, &junit), "the JUnit report is valid XML")
			assert.Len(t, junit.Suites, size)
			data, err = os.ReadFile(filepath.Join(dir, "r.html"))
			require.NoError(t, err)
			assert.Contains(t, string(data), "</html>", "the HTML report is whole")
			data, err = os.ReadFile(filepath.Join(dir, "r.md"))
			require.NoError(t, err)
			assert.Contains(t, string(data), "errconform", "the Markdown summary is written")
		})
	}
}

// A fleet runs at most max(32, 4 × GOMAXPROCS) targets at once: with
// GOMAXPROCS=1, no more than 32 of its 36 targets have a request in flight
// at any moment, and every target is still run, in turn.
func TestFleetBoundsTheTargetsInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a fleet")
	}
	const size, bound = 36, 32
	var mu sync.Mutex
	inFlight := map[string]int{}
	seen := map[string]bool{}
	most := 0
	origin := hostileBodyServer(t, http.StatusUnprocessableEntity, func(w http.ResponseWriter, r *http.Request) {
		target := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
		mu.Lock()
		inFlight[target]++
		seen[target] = true
		most = max(most, len(inFlight))
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // holds it in flight, so that targets overlap if they can
		mu.Lock()
		if inFlight[target]--; inFlight[target] == 0 {
			delete(inFlight, target)
		}
		mu.Unlock()
		_, _ = io.WriteString(w, `{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`)
	})
	var b strings.Builder
	b.WriteString("fixtures: {model: m}\ntarget: {timeout: 10s, gateway_timeout: 4s}\ntargets:\n")
	for i := range size {
		fmt.Fprintf(&b, "  - {name: t%03d, base_url: %q}\n", i, fmt.Sprintf("%s/t%03d/v1", origin, i))
	}
	cfg := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(b.String()), 0o600))
	report := filepath.Join(t.TempDir(), "r.json")
	// The request cases alone: enough for the targets to overlap.
	m := errconform(t, []string{"ERRCONFORM_API_KEY=" + hostileKey, "GOMAXPROCS=1"}, "run", "--config", cfg, "--quiet", "--json", report, "--label-filter", "group:request")
	require.Equal(t, 1, m.code, m.stdout+m.stderr)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d targets, at most %d of them in flight at once", len(seen), most)
	assert.Len(t, seen, size, "every target is run")
	assert.LessOrEqual(t, most, bound, "at most max(32, 4 × GOMAXPROCS) targets at once")
	rep := readJSONReport(t, report)
	require.Len(t, rep.Targets, size)
	for _, tr := range rep.Targets {
		assert.Zero(t, tr.Summary.Errored, "%s: no case left unfinished", tr.Name)
	}
}
