package reports_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/mutants"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

const htmlHostile = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`

// htmlRealReport runs the whole catalogue against the reference wrapped by the
// named mutant (on 127.0.0.1 only), the way mutants/selftest_test.go does,
// and builds the JSON report from the results.
func htmlRealReport(t *testing.T, mutant string) (reports.JSONReport, *spec.Contract) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	var wrap func(http.Handler) http.Handler
	for _, m := range mutants.All() {
		if m.Name == mutant {
			wrap = m.Wrap
		}
	}
	require.NotNil(t, wrap, "no mutant named %s", mutant)

	ref := reference.New(contract, reference.Options{GatewayTimeout: 100 * time.Millisecond})
	srv := httptest.NewServer(wrap(ref))
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), "the test server listens on 127.0.0.1 only: %s", srv.URL)
	cfg := ref.Config(srv.URL + "/v1")
	client, err := probe.New(probe.Options{BaseURL: cfg.Target.BaseURL, Timeout: cfg.Target.Timeout.Std()})
	require.NoError(t, err)
	defer client.Close()
	redactor := redact.New(cfg.Secrets()...)
	target := suites.Target{Config: cfg, Contract: contract, Client: client, Redactor: redactor}

	started := time.Now()
	var results []suites.Result
	for _, c := range suites.Catalogue() {
		results = append(results, suites.Execute(context.Background(), c, target, false))
	}
	rep := reports.BuildJSON(reports.Run{
		ToolVersion: "0.0.0-test", ContractVersion: contract.Version, BaseURL: cfg.Target.BaseURL,
		Started: started, Duration: time.Since(started), Results: results, Redactor: redactor, SecretEnv: cfg.SecretEnv(),
	})
	return rep, contract
}

// htmlWithHostileContent plants markup in the places a hostile target
// controls and adds one synthetic errored case carrying it everywhere.
func htmlWithHostileContent(rep reports.JSONReport) reports.JSONReport {
	for i := range rep.Cases {
		if rep.Cases[i].Response != nil {
			rep.Cases[i].Response.BodyExcerpt = `{"error":{"message":"` + strings.ReplaceAll(htmlHostile, `"`, `\"`) + `"}}`
			rep.Cases[i].Response.Headers["X-Evil"] = []string{htmlHostile}
			break
		}
	}
	rep.Cases = append(rep.Cases, reports.CaseReport{
		ID: "hostile/" + htmlHostile, Title: htmlHostile, Group: "zz-hostile", Labels: []string{htmlHostile},
		Expect: check.Expectation{Status: 500}, Verdict: check.Errored, Reason: htmlHostile,
		Findings:  []check.Finding{{Rule: "status", Severity: check.Must, Expected: htmlHostile, Actual: htmlHostile, Pointer: htmlHostile, Message: htmlHostile}},
		Request:   &reports.RequestReport{Method: "GET", URL: "javascript:alert(3)", Headers: map[string][]string{htmlHostile: {htmlHostile}}, BodyExcerpt: htmlHostile},
		Response:  &reports.ResponseReport{Status: 404, Headers: map[string][]string{"Content-Type": {"text/html"}}, BodyExcerpt: htmlHostile, Error: htmlHostile},
		Reproduce: "curl " + htmlHostile,
	})
	rep.Summary.Total++
	rep.Summary.Errored++
	return rep
}

func TestHTMLReportFromRealResults(t *testing.T) {
	rep, contract := htmlRealReport(t, "openai-401-type")
	require.Positive(t, rep.Summary.Failed, "the mutant fails the 401 cases")
	rep = htmlWithHostileContent(rep)

	var buf bytes.Buffer
	require.NoError(t, reports.RenderHTML(&buf, rep, contract))
	out := buf.String()
	doc, err := html.Parse(strings.NewReader(out))
	require.NoError(t, err)

	// Self-contained: no external resources of any kind.
	for _, n := range domElements(doc, nil) {
		switch n.Data {
		case "link", "img", "iframe", "object", "embed", "base", "form", "frame", "audio", "video", "source":
			t.Errorf("unexpected <%s> element", n.Data)
		case "script":
			assert.Empty(t, domAttr(n, "src"), "no <script src>")
		}
		for _, a := range n.Attr {
			assert.False(t, strings.HasPrefix(strings.ToLower(a.Key), "on"), "no inline event handler %s on <%s>", a.Key, n.Data)
			if a.Key == "src" || a.Key == "href" || a.Key == "action" || a.Key == "srcset" || a.Key == "poster" {
				assert.True(t, strings.HasPrefix(a.Val, "#"), "<%s %s=%q> refers to something outside the page", n.Data, a.Key, a.Val)
			}
		}
	}
	assert.NotContains(t, out, "<script src")
	assert.NotContains(t, out, "<link")
	assert.NotContains(t, out, "@import")
	assert.NotContains(t, out, "url(")
	// The only absolute URLs are the target's, shown as text.
	base := rep.Target.BaseURL
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	for _, scheme := range []string{"http://", "https://"} {
		for rest := out; ; {
			i := strings.Index(rest, scheme)
			if i < 0 {
				break
			}
			assert.True(t, strings.HasPrefix(rest[i:], base), "an absolute URL that is not the target's: %.80q", rest[i:])
			rest = rest[i+len(scheme):]
		}
	}

	// Hostile content is escaped: exactly one script element (the page's own)
	// and the markup survives only as text.
	scripts := domElements(doc, func(n *html.Node) bool { return n.Data == "script" })
	require.Len(t, scripts, 1)
	assert.NotContains(t, domText(scripts[0]), "alert")
	assert.NotContains(t, out, "<script>alert(1)</script>")
	assert.NotContains(t, out, "<img src=x")
	assert.Contains(t, out, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, domText(doc), "<script>alert(1)</script>", "the htmlHostile string is shown as text")
	assert.NotContains(t, out, `href="javascript:`)

	// The matrix: one row per contract status, a column per code plus "(no code)".
	cells := domElements(doc, func(n *html.Node) bool { return n.Data == "td" && domHasClass(n, "cell") })
	assert.Len(t, cells, len(contract.Statuses)*(len(contract.Codes)+1))
	assert.Equal(t, "failed", htmlCellVerdict(t, cells, "401", "invalid_api_key"))
	assert.Equal(t, "failed", htmlCellVerdict(t, cells, "401", ""), "401 cases without a code (JWTs) fail too")
	assert.Equal(t, "passed", htmlCellVerdict(t, cells, "404", "file_not_found"))
	assert.Equal(t, "errored", htmlCellVerdict(t, cells, "500", ""), "the synthetic errored case")
	assert.Equal(t, "passed", htmlCellVerdict(t, cells, "400", "invalid_value"))
	for _, c := range cells {
		status, code := domAttr(c, "data-status"), domAttr(c, "data-code")
		s, paired := contract.StatusForCode(code)
		if code != "" && (!paired || strconv.Itoa(s) != status) {
			assert.True(t, domHasClass(c, "na"), "%s/%s is no contract pairing and is greyed out", status, code)
			assert.Empty(t, domAttr(c, "data-verdict"))
		}
	}

	// Every case is one <details> with its ID and verdict, all collapsed
	// (the failing ones are listed under their cause).
	details := domElements(doc, func(n *html.Node) bool { return domAttr(n, "data-case-id") != "" })
	require.Len(t, details, len(rep.Cases))
	byID := map[string]*html.Node{}
	for _, d := range details {
		assert.Equal(t, "details", d.Data)
		byID[domAttr(d, "data-case-id")] = d
	}
	for _, c := range rep.Cases {
		d := byID[c.ID]
		require.NotNil(t, d, c.ID)
		assert.Equal(t, string(c.Verdict), domAttr(d, "data-verdict"), c.ID)
		_, open := domAttrOK(d, "open")
		assert.False(t, open, "%s collapsed", c.ID)
		if c.Reproduce != "" {
			assert.Contains(t, domText(d), c.Reproduce, c.ID)
		}
	}
	assert.Contains(t, domText(byID["auth/missing-header/chat"]), "authentication_error", "the failing finding names the expected type")

	// The summary counts.
	for label, want := range map[string]int{"total": rep.Summary.Total, "failed": rep.Summary.Failed, "passed": rep.Summary.Passed, "waived": 0} {
		tiles := domElements(doc, func(n *html.Node) bool { return domAttr(n, "data-summary") == label })
		require.Len(t, tiles, 1, label)
		assert.Equal(t, strconv.Itoa(want), domText(tiles[0].FirstChild), label)
	}
}

func TestHTMLMatrixWorstVerdictAndSkips(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	mk := func(id string, status int, code string, v check.Verdict) reports.CaseReport {
		return reports.CaseReport{ID: id, Group: "g", Expect: check.Expectation{Status: status, Code: code}, Verdict: v, Findings: []check.Finding{}}
	}
	rep := reports.JSONReport{
		Tool: reports.Tool{Name: "errconform", Version: "x"}, Target: reports.TargetInfo{BaseURL: "http://127.0.0.1:1/v1"},
		Summary: reports.Summary{Total: 9, Skipped: 1, Waived: 2, SkippedByFixture: map[string]int{"slow_model": 1}},
		Cases: []reports.CaseReport{
			mk("a", 400, "invalid_value", check.Passed), mk("b", 400, "invalid_value", check.Warned), mk("c", 400, "invalid_value", check.Waived),
			mk("d", 404, "", check.Passed), mk("e", 404, "", check.Errored), mk("f", 404, "", check.Failed),
			mk("g", 504, "", check.Skipped), mk("h", 502, "", check.Waived), mk("i", 418, "teapot", check.Passed),
		},
	}
	var buf bytes.Buffer
	require.NoError(t, reports.RenderHTML(&buf, rep, contract))
	doc, err := html.Parse(&buf)
	require.NoError(t, err)
	cells := domElements(doc, func(n *html.Node) bool { return n.Data == "td" && domHasClass(n, "cell") })
	assert.Equal(t, "warned", htmlCellVerdict(t, cells, "400", "invalid_value"), "warned outranks waived and passed")
	assert.Equal(t, "failed", htmlCellVerdict(t, cells, "404", ""), "failed outranks errored")
	assert.Equal(t, "skipped", htmlCellVerdict(t, cells, "504", ""))
	assert.Equal(t, "waived", htmlCellVerdict(t, cells, "502", ""))
	assert.Equal(t, "passed", htmlCellVerdict(t, cells, "418", "teapot"), "cases outside the contract still show")
	assert.Equal(t, "", htmlCellVerdict(t, cells, "401", "invalid_api_key"), "a pairing without cases is not active")
	assert.Contains(t, domText(doc), "slow_model")
	tiles := domElements(doc, func(n *html.Node) bool { return domAttr(n, "data-summary") == "waived" })
	require.Len(t, tiles, 1)
	assert.Equal(t, "2", domText(tiles[0].FirstChild))

	// A nil contract lays the matrix out by the cases alone.
	buf.Reset()
	require.NoError(t, reports.RenderHTML(&buf, rep, nil))
	doc, err = html.Parse(&buf)
	require.NoError(t, err)
	cells = domElements(doc, func(n *html.Node) bool { return n.Data == "td" && domHasClass(n, "cell") })
	assert.Equal(t, "failed", htmlCellVerdict(t, cells, "404", ""))
}

func TestWriteHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	in := reports.Input{Report: reports.FleetOfOne(reports.Run{Redactor: redact.New()})}
	require.NoError(t, reports.WriteFormat("html", path, in))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("<!DOCTYPE html>")))
	assert.Error(t, reports.WriteFormat("html", filepath.Join(t.TempDir(), "missing", "report.html"), in))
}

// TestHTMLReportInChromium renders a real report, loads it in headless
// Chromium and checks the DOM the browser built, then saves a screenshot
// to out/html-report.png.
func TestHTMLReportInChromium(t *testing.T) {
	browser := chromiumOrSkip(t)
	start := time.Now()
	rep, contract := htmlRealReport(t, "openai-401-type")
	page := filepath.Join(t.TempDir(), "report.html")
	var rendered bytes.Buffer
	require.NoError(t, reports.RenderHTML(&rendered, rep, contract))
	require.NoError(t, os.WriteFile(page, rendered.Bytes(), 0o644))
	pageURL := "file://" + filepath.ToSlash(page)

	dom := runChromium(t, browser, "--dump-dom", pageURL)
	doc, err := html.Parse(strings.NewReader(dom))
	require.NoError(t, err)
	root := domElements(doc, func(n *html.Node) bool { return n.Data == "html" })
	require.Len(t, root, 1)
	assert.Equal(t, "ok", domAttr(root[0], "data-js"), "the inline script ran under the page's Content-Security-Policy")
	assert.Equal(t, "ok", domAttr(root[0], "data-css"), "the inline style applied under the page's Content-Security-Policy")
	cells := domElements(doc, func(n *html.Node) bool { return n.Data == "td" && domHasClass(n, "cell") })
	assert.Equal(t, "failed", htmlCellVerdict(t, cells, "401", "invalid_api_key"))
	assert.Equal(t, "passed", htmlCellVerdict(t, cells, "404", "file_not_found"))
	details := domElements(doc, func(n *html.Node) bool { return n.Data == "details" && domAttr(n, "data-case-id") != "" })
	assert.Len(t, details, len(suites.Catalogue()))
	assert.Len(t, details, len(rep.Cases))

	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	outDir := filepath.Join(repo, "out")
	require.NoError(t, os.MkdirAll(outDir, 0o755))
	shot := filepath.Join(outDir, "html-report.png")
	if err := os.Remove(shot); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("remove the old screenshot: %v", err)
	}
	runChromium(t, browser, "--screenshot="+shot, "--window-size=1400,1800", pageURL)
	info, err := os.Stat(shot)
	require.NoError(t, err, "chromium wrote no screenshot")
	assert.Positive(t, info.Size())
	png, err := os.ReadFile(shot)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "the screenshot is a PNG")
	t.Logf("browser test took %s; screenshot at %s", time.Since(start).Round(time.Millisecond), shot)
}

// chromiumOrSkip is the path of Chromium; without it, the test fails
// under CI=true and is skipped otherwise.
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	browser := findChromium()
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; CI must provide it (.ci/run installs it with apt-get install chromium)")
		}
		t.Skip("chromium is not installed; to run this test: apt-get install chromium")
	}
	return browser
}

func findChromium() string {
	if info, err := os.Stat("/usr/bin/chromium"); err == nil && !info.IsDir() {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// runChromium runs headless Chromium once with its own profile and no
// network chatter, and returns its standard output.
func runChromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	profile, err := os.MkdirTemp("", "errconform-chromium-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(profile) }) // best effort: a helper may still be exiting
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile}
	cmd := exec.CommandContext(ctx, browser, append(flags, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium %v timed out after 60s; stderr:\n%s", args, stderr.String())
	}
	require.NoError(t, err, "chromium %v; stderr:\n%s", args, stderr.String())
	return stdout.String()
}

// DOM helpers.

func domElements(n *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (keep == nil || keep(n)) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func domAttrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func domAttr(n *html.Node, key string) string { v, _ := domAttrOK(n, key); return v }

func domHasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(domAttr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func domText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// htmlCellVerdict returns the data-verdict of the matrix cell for status and
// code, failing the test when there is no such cell.
func htmlCellVerdict(t *testing.T, cells []*html.Node, status, code string) string {
	t.Helper()
	for _, c := range cells {
		if domAttr(c, "data-status") == status && domAttr(c, "data-code") == code {
			return domAttr(c, "data-verdict")
		}
	}
	t.Errorf("no matrix cell for %s/%q", status, code)
	return "<missing>"
}
