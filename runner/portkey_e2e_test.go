//go:build linux

package runner_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// portkeyVersion is the gateway version testdata/portkey/expected-deviations.txt
// is written for; .ci/run installs exactly it (testdata/portkey/package-lock.json).
const portkeyVersion = "1.15.2"

// errconform through a real open-source gateway nobody on the team wrote:
// Portkey's AI Gateway (npm @portkey-ai/gateway) in front of the reference,
// both on 127.0.0.1. Portkey is known to break the contract in some places;
// the cases that fail must be exactly those listed, with a reason, in
// testdata/portkey/expected-deviations.txt: a new failure is a regression
// in errconform (or a case that needs a line), a listed case that passes is a
// stale line.
//
// Two runs, because Portkey cannot route one model elsewhere while the
// x-portkey-custom-host header is present (the header wins over every config
// target): every case except the unreachable-model one goes through Portkey
// configured by headers (provider openai, custom host the reference), the
// unreachable-model case through an x-portkey-config that routes that model
// to a dead loopback port and everything else to the reference.
func TestThroughPortkeyGatewayFailsExactlyTheExpectedDeviations(t *testing.T) {
	node, entry := portkeyInstall(t)
	expected := readExpectedDeviations(t, "../testdata/portkey/expected-deviations.txt")

	deadPort := deadLoopbackPort(t)
	dir := t.TempDir()
	refCfgPath, refPort, pkURL := startReferenceAndPortkey(t, dir, node, entry)

	refCfg := readYAMLMap(t, refCfgPath)
	refV1 := "http://127.0.0.1:" + strconv.Itoa(refPort) + "/v1"
	fixtures, _ := refCfg["fixtures"].(map[string]any)
	unreachableModel, _ := fixtures["unreachable_model"].(string)
	require.NotEmpty(t, unreachableModel, "the reference's config names fixtures.unreachable_model")

	byHeaders := writeGatewayConfig(t, refCfg, filepath.Join(dir, "portkey-headers.yaml"), pkURL+"/v1", map[string]string{
		"x-portkey-provider":    "openai",
		"x-portkey-custom-host": refV1,
	})
	routing, err := json.Marshal(map[string]any{
		// the client's own Authorization goes upstream: config targets
		// would otherwise send "Bearer <their api_key>"
		"forward_headers": []string{"authorization"},
		"strategy": map[string]any{
			"mode": "conditional",
			"conditions": []any{map[string]any{
				"query": map[string]any{"params.model": map[string]any{"$eq": unreachableModel}},
				"then":  "dead",
			}},
			"default": "reference",
		},
		// request_timeout makes a target valid without an api_key
		"targets": []any{
			map[string]any{"name": "reference", "provider": "openai", "custom_host": refV1, "request_timeout": 10000},
			map[string]any{"name": "dead", "provider": "openai", "custom_host": "http://127.0.0.1:" + strconv.Itoa(deadPort) + "/v1", "request_timeout": 10000},
		},
	})
	require.NoError(t, err)
	byConfig := writeGatewayConfig(t, refCfg, filepath.Join(dir, "portkey-config.yaml"), pkURL+"/v1", map[string]string{
		"x-portkey-config": string(routing),
	})

	runs := []struct{ name, cfg, filter string }{
		{"headers", byHeaders, "!fixture:unreachable_model"},
		{"routing config", byConfig, "fixture:unreachable_model"},
	}
	cases := map[string]reports.CaseReport{}
	var outputs []string
	for _, r := range runs {
		jsonPath := filepath.Join(dir, strings.ReplaceAll(r.name, " ", "-")+".json")
		out := errconform(t, nil, "run", "--config", r.cfg, "--label-filter", r.filter, "--json", jsonPath, "--deadline", "30s")
		outputs = append(outputs, fmt.Sprintf("--- errconform run through Portkey (%s), exit %d:\n%s%s", r.name, out.code, out.stdout, out.stderr))
		require.Contains(t, []int{0, 1}, out.code, "errconform completes the run (%s):\n%s%s", r.name, out.stdout, out.stderr)
		rep := readJSONReport(t, jsonPath)
		require.True(t, answeredByPortkey(rep), "the run (%s) went through Portkey: some answer carries its X-Portkey-* headers", r.name)
		for _, c := range rep.Cases {
			// a case both runs select (the catalogue's controls run
			// whatever the filter) counts as failing if it fails in either
			if prev, ok := cases[c.ID]; ok && failing(prev) {
				continue
			}
			cases[c.ID] = c
		}
	}

	checkExploreThroughPortkey(t, dir, byHeaders)

	var ran, skipped []string
	got := map[string]bool{}
	for id, c := range cases {
		ran = append(ran, id)
		if failing(c) {
			got[id] = true
		}
		if string(c.Verdict) == "skipped" {
			skipped = append(skipped, id+": "+c.Reason)
		}
	}
	sort.Strings(ran)
	sort.Strings(skipped)
	require.Equal(t, catalogueIDs(), ran, "the two runs together cover the whole catalogue")
	require.Empty(t, skipped, "every fixture comes from the reference's config, so nothing is skipped")

	// Deviations that are SHOULD findings, not failures: a forwarded error
	// gains a top-level "provider" member, and Portkey's own answer to an
	// unreachable upstream carries the upstream's address in html-message.
	for id, rule := range map[string]string{
		"auth/unknown-key/chat":      "single-member",
		"files/invalid-purpose":      "single-member",
		"upstream/unreachable-model": "no-internal-leak",
	} {
		var rules []string
		for _, f := range cases[id].Findings {
			rules = append(rules, f.Rule+": "+f.Message)
		}
		require.Contains(t, strings.Join(rules, "\n"), rule+": ", "%s through Portkey draws a %s finding", id, rule)
	}

	var unexpected, fixed []string
	for id := range got {
		if _, ok := expected[id]; !ok {
			unexpected = append(unexpected, fmt.Sprintf("  %-40s %s: %s", id, cases[id].Verdict, headline(cases[id])))
		}
	}
	for id, reason := range expected {
		if !got[id] {
			fixed = append(fixed, fmt.Sprintf("  %-40s %s now (listed because: %s)", id, cases[id].Verdict, reason))
		}
	}
	sort.Strings(unexpected)
	sort.Strings(fixed)
	if len(unexpected) > 0 || len(fixed) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "through Portkey %s errconform fails %d cases; testdata/portkey/expected-deviations.txt lists %d\n", portkeyVersion, len(got), len(expected))
		if len(unexpected) > 0 {
			fmt.Fprintf(&b, "unexpected failures (%d): fix the regression, or add the case with a reason:\n%s\n", len(unexpected), strings.Join(unexpected, "\n"))
		}
		if len(fixed) > 0 {
			fmt.Fprintf(&b, "expected deviations that no longer fail (%d): remove them from the file, or find out what changed:\n%s\n", len(fixed), strings.Join(fixed, "\n"))
		}
		t.Errorf("%s\n%s", b.String(), strings.Join(outputs, "\n"))
	}
}

// clampedByPortkey are the fields whose out-of-range values Portkey's
// OpenAI provider clamps into range and forwards (the catalogue's
// request/temperature-* and request/top-p-* deviations say so too).
var clampedByPortkey = map[string]bool{"temperature": true, "top_p": true, "presence_penalty": true, "frequency_penalty": true}

// checkExploreThroughPortkey runs explore's core set through Portkey and
// holds it to what Portkey is known to do, as rules rather than a list:
// it clamps out-of-range numbers of clampedByPortkey (accepted invalid
// input) and fails every successful stream with a 500. Every other
// variant, hundreds of bodies the team's reference also refuses or
// accepts, must pass: explore raises no false alarm on a gateway nobody on
// the team wrote.
func checkExploreThroughPortkey(t *testing.T, dir, cfg string) {
	t.Helper()
	jsonPath := filepath.Join(dir, "explore.json")
	out := errconform(t, nil, "explore", "--config", cfg, "--quiet", "--json", jsonPath, "--deadline", "60s")
	require.Equal(t, 1, out.code, "explore through Portkey finds its clamping:\n%s%s", out.stdout, out.stderr)
	rep := readJSONReport(t, jsonPath)
	clampedCaught := 0
	for _, c := range rep.Cases {
		if !strings.HasPrefix(c.ID, "explore/") {
			continue
		}
		field, constraint := "", ""
		for _, l := range c.Labels {
			if v, ok := strings.CutPrefix(l, "field:"); ok {
				field = v
			}
			if v, ok := strings.CutPrefix(l, "constraint:"); ok {
				constraint = v
			}
		}
		clamped := clampedByPortkey[field] && (constraint == "below-minimum" || constraint == "above-maximum")
		stream500 := c.Expect.Stream && c.Response != nil && c.Response.Status == http.StatusInternalServerError
		switch {
		case clamped && !strings.HasSuffix(c.ID, "/stream"):
			if assert.True(t, failing(c), "%s: Portkey clamps %s and forwards it", c.ID, field) {
				assert.Contains(t, headline(c), "accepted invalid input", c.ID)
				clampedCaught++
			}
		case failing(c):
			assert.True(t, stream500 && (clamped || constraint == "valid"),
				"%s fails through Portkey for a reason Portkey is not known for (a false alarm?): %s", c.ID, headline(c))
		}
	}
	assert.Equal(t, 2*len(clampedByPortkey), clampedCaught, "each clamped field's two bounds are caught")
}

// portkeyInstall finds Portkey's gateway installed by .ci/run and returns node
// and the gateway's server entry point. Absent, the test skips locally with
// the install command, and fails on CI, which must never skip it silently.
func portkeyInstall(t *testing.T) (node, entry string) {
	t.Helper()
	dir := os.Getenv("ERRCONFORM_PORTKEY_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		require.NoError(t, err)
		dir = filepath.Join(cache, "errconform", "portkey-"+portkeyVersion)
	}
	missing := func(why string) {
		t.Helper()
		msg := fmt.Sprintf("Portkey's AI Gateway %s is not available: %s. Install it with .ci/run, or by hand from the repository root:\n"+
			"  mkdir -p %[3]s && cp testdata/portkey/package.json testdata/portkey/package-lock.json %[3]s/ && npm ci --prefix %[3]s --ignore-scripts\n"+
			"(another directory: set ERRCONFORM_PORTKEY_DIR)", portkeyVersion, why, dir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	pkgPath := filepath.Join(dir, "node_modules", "@portkey-ai", "gateway", "package.json")
	data, err := os.ReadFile(pkgPath)
	if err != nil {
		missing(fmt.Sprintf("cannot read %s", pkgPath))
	}
	var pkg struct{ Version string }
	require.NoError(t, json.Unmarshal(data, &pkg), pkgPath)
	require.Equal(t, portkeyVersion, pkg.Version, "%s: testdata/portkey/expected-deviations.txt is written for %s", pkgPath, portkeyVersion)
	entry = filepath.Join(dir, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js")
	_, err = os.Stat(entry)
	require.NoError(t, err, "the gateway's server entry point")
	return node, entry
}

// readExpectedDeviations reads "<case-id>  <reason>" lines; # starts a comment.
func readExpectedDeviations(t *testing.T, path string) map[string]string {
	t.Helper()
	return readDeviationsOf(t, path, catalogueIDs())
}

// readDeviationsOf reads "<case-id>  <reason>" lines of the cases ids.
func readDeviationsOf(t *testing.T, path string, ids []string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		reason = strings.TrimSpace(reason)
		require.NotEmpty(t, reason, "%s:%d: %s has no reason", path, n, id)
		require.True(t, known[id], "%s:%d: %s is not a case ID", path, n, id)
		require.NotContains(t, out, id, "%s:%d: %s is listed twice", path, n, id)
		out[id] = reason
	}
	require.NoError(t, sc.Err())
	return out
}

func answeredByPortkey(rep reports.JSONReport) bool {
	for _, c := range rep.Cases {
		if c.Response == nil {
			continue
		}
		for name := range c.Response.Headers {
			if strings.HasPrefix(http.CanonicalHeaderKey(name), "X-Portkey-") {
				return true
			}
		}
	}
	return false
}

func failing(c reports.CaseReport) bool {
	return string(c.Verdict) == "failed" || string(c.Verdict) == "errored"
}

// headline is a case's first finding, as the terminal shows it.
func headline(c reports.CaseReport) string {
	if len(c.Findings) > 0 {
		return fmt.Sprintf("%s: %s", c.Findings[0].Rule, c.Findings[0].Message)
	}
	return c.Reason
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// deadLoopbackPort reserves a 127.0.0.1 port with a socket that is bound but
// never listens, for the test's duration: a connection to it is refused, and
// no other process can start listening there meanwhile.
func deadLoopbackPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	port := sa.(*syscall.SockaddrInet4).Port
	_, err = net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	require.Error(t, err, "nothing answers on the dead port")
	return port
}

type processGroup struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startProcessGroup starts a command in its own process group, its output
// in a log file; cleanup kills the whole group and checks nothing is left.
// env nil inherits the test's environment.
func startProcessGroup(t *testing.T, name, dir string, env []string, path string, args ...string) *processGroup {
	t.Helper()
	logFile, err := os.CreateTemp(dir, strings.ReplaceAll(name, " ", "-")+"-*.log")
	require.NoError(t, err)
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start(), name)
	logFile.Close()
	p := &processGroup{name: name, cmd: cmd, log: logFile.Name(), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", name, pgid)
		}
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(-pgid, 0) == nil {
			if time.Now().After(deadline) {
				t.Errorf("%s left processes behind in group %d", name, pgid)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		if t.Failed() {
			t.Logf("%s output (last 4 KiB):\n%s", name, p.tail(4096))
		}
	})
	return p
}

func (p *processGroup) tail(n int) string {
	data, _ := os.ReadFile(p.log)
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

// waitFor polls cond until it holds or the timeout passes; it fails at once
// when the process it waits on exits.
func waitFor(t *testing.T, timeout time.Duration, what string, p *processGroup, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p != nil {
			select {
			case <-p.done:
				t.Fatalf("%s exited (%v) before: %s\n%s", p.name, p.cmd.ProcessState, what, p.tail(4096))
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// assertListensOnLoopbackOnly checks, from /proc, that every TCP socket the
// process listens on is bound to 127.0.0.1, and that one is the given port.
func assertListensOnLoopbackOnly(t *testing.T, pid, port int) {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	var listening []string
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
				continue
			}
			listening = append(listening, table+" "+f[1])
		}
	}
	want := fmt.Sprintf("tcp 0100007F:%04X", port) // 127.0.0.1:port, as /proc writes it
	require.Contains(t, listening, want, "Portkey listens on 127.0.0.1:%d", port)
	for _, l := range listening {
		require.True(t, strings.HasPrefix(l, "tcp 0100007F:"), "Portkey listens on %s, not only on 127.0.0.1: %v", l, listening)
	}
}

func readYAMLMap(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, yaml.Unmarshal(data, &m), path)
	return m
}

// writeGatewayConfig writes the reference's config (key and fixtures) with
// the target replaced by the gateway and the headers it needs.
func writeGatewayConfig(t *testing.T, ref map[string]any, path, baseURL string, headers map[string]string) string {
	t.Helper()
	cfg := map[string]any{}
	for k, v := range ref {
		cfg[k] = v
	}
	target := map[string]any{}
	if old, ok := ref["target"].(map[string]any); ok {
		for k, v := range old {
			target[k] = v
		}
	}
	target["base_url"] = baseURL
	target["headers"] = headers
	// The reference answers its slow model with a 504 after its own
	// gateway timeout (300ms); through a Node gateway on a busy machine
	// that answer took 841ms, past 300ms plus the rule's 250ms slack. A
	// declared 1s keeps the timeout rule judged (a gateway holding the
	// request for its own 10s upstream timeout still fails it) without
	// failing on the machine's load, as the mutants' self-test does.
	target["gateway_timeout"] = "1s"
	cfg["target"] = target
	data, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// startReferenceAndPortkey starts errconform serve and Portkey's gateway
// on 127.0.0.1 and waits for both: the reference's config path and port,
// and Portkey's base URL.
func startReferenceAndPortkey(t *testing.T, dir, node, entry string) (refCfgPath string, refPort int, pkURL string) {
	t.Helper()
	return startReferenceAndPortkeyWith(t, dir, node, entry)
}

// startReferenceAndPortkeyWith is startReferenceAndPortkey with more
// arguments for errconform serve (--contract FILE).
func startReferenceAndPortkeyWith(t *testing.T, dir, node, entry string, serveArgs ...string) (refCfgPath string, refPort int, pkURL string) {
	t.Helper()
	refPort, pkPort := freeLoopbackPort(t), freeLoopbackPort(t)
	refCfgPath = filepath.Join(dir, "reference.yaml")
	startProcessGroup(t, "errconform serve", dir, nil, binary,
		append([]string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(refPort), "--config-out", refCfgPath}, serveArgs...)...)
	waitFor(t, 10*time.Second, "errconform serve writes its config", nil, func() bool {
		data, err := os.ReadFile(refCfgPath)
		return err == nil && len(data) > 0
	})
	preload, err := filepath.Abs("../testdata/portkey/loopback.cjs")
	require.NoError(t, err)
	pk := startProcessGroup(t, "portkey", dir,
		[]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"},
		node, "--require", preload, entry, "--port="+strconv.Itoa(pkPort), "--headless")
	pkURL = "http://127.0.0.1:" + strconv.Itoa(pkPort)
	client := &http.Client{Timeout: time.Second}
	waitFor(t, 20*time.Second, "Portkey answers on "+pkURL, pk, func() bool {
		resp, err := client.Get(pkURL + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	assertListensOnLoopbackOnly(t, pk.cmd.Process.Pid, pkPort)
	return refCfgPath, refPort, pkURL
}

// Portkey run without its routing headers answers 400 to every request:
// the run stops after the controls, not testable, with one line naming
// the routing headers, and no case passed or failed in any report.
func TestPortkeyWithoutItsRoutingHeadersIsNotTestable(t *testing.T) {
	node, entry := portkeyInstall(t)
	dir := t.TempDir()
	refCfgPath, _, pkURL := startReferenceAndPortkey(t, dir, node, entry)
	noHeaders := writeGatewayConfig(t, readYAMLMap(t, refCfgPath), filepath.Join(dir, "portkey-bare.yaml"), pkURL+"/v1", map[string]string{})
	out := errconform(t, nil, append([]string{"run", "--config", noHeaders, "--quiet", "--deadline", "60s"}, everyReport(dir)...)...)
	t.Logf("%s", firstSummaryLine(out.stdout))
	assertNotTestable(t, out, dir, reports.CauseRefused, "refused with 400", "target.headers")
}

// readLines reads a file's lines that are neither blank nor comments (#).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// errconform contract init, pointed at Portkey in front of the reference
// serving every route of the OpenAI surface, lists the routes Portkey
// serves (testdata/portkey/served-routes.txt); contract check accepts the
// contract it writes, and the catalogue of those routes run through
// Portkey under it fails exactly the cases
// testdata/portkey/expected-route-deviations.txt lists: each is Portkey's
// (the reference passes them all), and no other case raises an alarm.
func TestContractInitThroughPortkeyListsWhatItServes(t *testing.T) {
	node, entry := portkeyInstall(t)
	dir := t.TempDir()
	allRoutes, err := filepath.Abs(allRoutesContract)
	require.NoError(t, err)
	refCfgPath, refPort, pkURL := startReferenceAndPortkeyWith(t, dir, node, entry, "--contract", allRoutes)
	refCfg := readYAMLMap(t, refCfgPath)
	refV1 := "http://127.0.0.1:" + strconv.Itoa(refPort) + "/v1"
	auth, _ := refCfg["auth"].(map[string]any)
	key, _ := auth["api_key"].(string)
	require.NotEmpty(t, key)

	written := filepath.Join(dir, "portkey-contract.yaml")
	out := errconform(t, []string{"ERRCONFORM_API_KEY=" + key}, "contract", "init", "--from-target", pkURL+"/v1",
		"--header", "x-portkey-provider: openai", "--header", "x-portkey-custom-host: "+refV1, "--out", written)
	require.Equal(t, 0, out.code, out.stdout+out.stderr)
	t.Logf("%s", out.stderr)
	contract, err := spec.Open(written)
	require.NoError(t, err)
	assert.Equal(t, readLines(t, "../testdata/portkey/served-routes.txt"), contract.RoutePaths(), "the routes Portkey serves")
	check := errconform(t, nil, "contract", "check", written)
	require.Equal(t, 0, check.code, check.stdout+check.stderr)

	cfg := writeGatewayConfig(t, refCfg, filepath.Join(dir, "portkey-routes.yaml"), pkURL+"/v1", map[string]string{
		"x-portkey-provider":    "openai",
		"x-portkey-custom-host": refV1,
	})
	var filter []string
	for _, path := range suites.GeneratedRoutes(contract) {
		filter = append(filter, "endpoint:"+suites.RouteSlug(path))
	}
	require.NotEmpty(t, filter)
	jsonPath := filepath.Join(dir, "routes.json")
	run := errconform(t, nil, "run", "--config", cfg, "--contract", written, "--label-filter", strings.Join(filter, " || "), "--json", jsonPath, "--deadline", "60s")
	require.Contains(t, []int{0, 1}, run.code, run.stdout+run.stderr)
	rep := readJSONReport(t, jsonPath)
	require.True(t, answeredByPortkey(rep), "the run went through Portkey")
	cases, err := suites.For(contract)
	require.NoError(t, err)
	var ids []string
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	expected := readDeviationsOf(t, "../testdata/portkey/expected-route-deviations.txt", ids)
	got := map[string]bool{}
	judged := 0
	for _, c := range rep.Cases {
		if !strings.Contains(c.ID, "/") || strings.HasPrefix(c.ID, "control/") {
			continue // the positive controls, judged whatever the filter
		}
		judged++
		if failing(c) {
			got[c.ID] = true
		}
	}
	assert.Greater(t, judged, 200, "the cases of every route Portkey serves ran")
	var unexpected, fixed []string
	for id := range got {
		if _, ok := expected[id]; !ok {
			unexpected = append(unexpected, id)
		}
	}
	for id := range expected {
		if !got[id] {
			fixed = append(fixed, id)
		}
	}
	sort.Strings(unexpected)
	sort.Strings(fixed)
	assert.Empty(t, unexpected, "route cases failing through Portkey that expected-route-deviations.txt does not list:\n%s", run.stdout)
	assert.Empty(t, fixed, "listed route deviations that no longer fail")
}
