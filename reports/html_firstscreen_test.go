package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
)

// htmlScrollProbe is added to the test's copy of the page only (the
// product's Content-Security-Policy admits its own script alone): it
// opens every <details> and records how wide the laid-out page is, so the
// DOM Chromium dumps says whether anything sticks out of the window.
const htmlScrollProbe = `<script>addEventListener("load",function(){var r=document.documentElement;` +
	`document.querySelectorAll("details").forEach(function(d){d.open=true;});` +
	`r.setAttribute("data-scroll-width",String(r.scrollWidth));r.setAttribute("data-client-width",String(r.clientWidth));` +
	`var m=document.querySelector(".panel");r.setAttribute("data-matrix-scroll-width",String(m.scrollWidth));` +
	`r.setAttribute("data-matrix-client-width",String(m.clientWidth));});</script>`

var htmlCSPMeta = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)

// TestHTMLFailingRunFirstScreen renders a failing run's report in headless
// Chromium at 800 and 1280 px: the verdict word is in the title and the
// header, every failure is collapsed under its cause, every filter button
// carries its count, and nothing is wider than the window. It keeps the
// screenshots in the test's temporary directory, and copies them to
// $ERRCONFORM_SCREENSHOTS when that is set.
func TestHTMLFailingRunFirstScreen(t *testing.T) {
	browser := chromiumOrSkip(t)
	rep, contract := htmlRealReport(t, "openai-401-type")
	require.Positive(t, rep.Summary.Failed, "the mutant fails the 401 cases")
	// A hostile case's long tokens must break, not widen the page.
	rep = htmlWithHostileContent(rep)
	rep.Groups = reports.GroupFailures(rep.Cases)
	var rendered bytes.Buffer
	require.NoError(t, reports.RenderHTML(&rendered, rep, contract))
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(page, rendered.Bytes(), 0o644))
	probed := htmlCSPMeta.ReplaceAllString(rendered.String(), "")
	require.NotEqual(t, rendered.String(), probed, "the test copy drops the page's CSP to run its probe")
	probed = strings.Replace(probed, "</body>", htmlScrollProbe+"</body>", 1)
	probePage := filepath.Join(dir, "probe.html")
	require.NoError(t, os.WriteFile(probePage, []byte(probed), 0o644))

	verdicts := map[string]int{}
	for _, c := range rep.Cases {
		verdicts[string(c.Verdict)]++
	}
	for _, width := range []int{800, 1280} {
		t.Run(strconv.Itoa(width)+"px", func(t *testing.T) {
			size := "--window-size=" + strconv.Itoa(width) + ",900"
			doc, err := html.Parse(strings.NewReader(runChromium(t, browser, size, "--dump-dom", "file://"+filepath.ToSlash(page))))
			require.NoError(t, err)
			root := domElements(doc, func(n *html.Node) bool { return n.Data == "html" })
			require.Len(t, root, 1)
			assert.Equal(t, "ok", domAttr(root[0], "data-js"), "the page's own script ran under its CSP")

			// The verdict word, in the title and the header.
			titles := domElements(doc, func(n *html.Node) bool { return n.Data == "title" })
			require.Len(t, titles, 1)
			assert.True(t, strings.HasPrefix(domText(titles[0]), "contract broken"), "title %q", domText(titles[0]))
			verdict := domElements(doc, func(n *html.Node) bool { return domAttr(n, "id") == "verdict" })
			assert.Len(t, verdict, 1, "the header has one verdict")
			for _, v := range verdict {
				assert.Contains(t, domText(v), "contract broken")
			}
			header := domElements(doc, func(n *html.Node) bool { return n.Data == "header" })
			require.Len(t, header, 1)
			assert.Contains(t, domText(header[0]), "contract broken", "the word is in the header")

			// Failures collapsed: the causes and every case are closed
			// <details>, the failing cases listed under their cause.
			causes := domElements(doc, func(n *html.Node) bool { return n.Data == "details" && domHasClass(n, "cause") })
			require.Len(t, causes, len(rep.Groups))
			listed := 0
			for _, c := range causes {
				_, open := domAttrOK(c, "open")
				assert.False(t, open, "a cause is collapsed")
				listed += len(domElements(c, func(n *html.Node) bool { return n.Data == "a" && domHasClass(n, "cause-case") }))
			}
			assert.Equal(t, rep.Summary.Failed+rep.Summary.Errored, listed, "each failing case is listed under its cause")
			cases := domElements(doc, func(n *html.Node) bool { return n.Data == "details" && domAttr(n, "data-case-id") != "" })
			require.Len(t, cases, len(rep.Cases))
			for _, d := range cases {
				_, open := domAttrOK(d, "open")
				assert.False(t, open, "case %s is collapsed", domAttr(d, "data-case-id"))
			}

			// Each filter button carries the count of the cases it shows.
			buttons := domElements(doc, func(n *html.Node) bool { return n.Data == "button" && domAttr(n, "data-filter") != "" })
			require.Len(t, buttons, 1+len(verdicts)+countMissing(verdicts))
			for _, b := range buttons {
				filter := domAttr(b, "data-filter")
				want := verdicts[filter]
				if filter == "all" {
					want = len(rep.Cases)
				}
				assert.Equal(t, strconv.Itoa(want), domAttr(b, "data-count"), filter)
				assert.Contains(t, domText(b), "("+strconv.Itoa(want)+")", filter)
			}
			assert.Positive(t, verdicts[string(check.Failed)])

			// Readable at this width: the page is no wider than the window
			// (the matrix scrolls inside its own panel).
			probedDoc, err := html.Parse(strings.NewReader(runChromium(t, browser, size, "--dump-dom", "file://"+filepath.ToSlash(probePage))))
			require.NoError(t, err)
			probeRoot := domElements(probedDoc, func(n *html.Node) bool { return n.Data == "html" })
			require.Len(t, probeRoot, 1)
			scroll, err := strconv.Atoi(domAttr(probeRoot[0], "data-scroll-width"))
			require.NoError(t, err, "the probe ran")
			client, err := strconv.Atoi(domAttr(probeRoot[0], "data-client-width"))
			require.NoError(t, err, "the probe ran")
			assert.LessOrEqual(t, scroll, client, "nothing is wider than the %d px window", width)
			assert.LessOrEqual(t, client, width)
			matrixScroll, err := strconv.Atoi(domAttr(probeRoot[0], "data-matrix-scroll-width"))
			require.NoError(t, err, "the probe ran")
			matrixClient, err := strconv.Atoi(domAttr(probeRoot[0], "data-matrix-client-width"))
			require.NoError(t, err, "the probe ran")
			assert.LessOrEqual(t, matrixScroll, matrixClient, "the matrix's rightmost column shows without scrolling at %d px", width)
			t.Logf("at %d px: page %d of %d px, matrix %d of %d px", width, scroll, client, matrixScroll, matrixClient)

			shot := filepath.Join(dir, "html-report-"+strconv.Itoa(width)+".png")
			runChromium(t, browser, size, "--screenshot="+shot, "file://"+filepath.ToSlash(page))
			png, err := os.ReadFile(shot)
			require.NoError(t, err, "chromium wrote no screenshot")
			assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "the screenshot is a PNG")
			if out := os.Getenv("ERRCONFORM_SCREENSHOTS"); out != "" {
				require.NoError(t, os.MkdirAll(out, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(out, filepath.Base(shot)), png, 0o644))
			}
		})
	}
}

// countMissing is how many of the six verdicts no case has: their filter
// buttons show too, with a count of 0.
func countMissing(verdicts map[string]int) int {
	n := 0
	for _, v := range []check.Verdict{check.Passed, check.Skipped, check.Waived, check.Warned, check.Errored, check.Failed} {
		if _, ok := verdicts[string(v)]; !ok {
			n++
		}
	}
	return n
}

// TestHTMLVerdictWord: the single target's page and the fleet's page name
// their verdict in the title and the header, in the Markdown summary's
// words, whatever the run's outcome.
func TestHTMLVerdictWord(t *testing.T) {
	judged := reports.Summary{Total: 2, Passed: 2, Judged: 2}
	tests := []struct {
		name string
		rep  reports.JSONReport
		want string
	}{
		{"kept", reports.JSONReport{Summary: judged}, "contract kept"},
		{"broken", reports.JSONReport{Summary: reports.Summary{Total: 2, Passed: 1, Failed: 1, Judged: 2}}, "contract broken"},
		{"nothing judged", reports.JSONReport{Summary: reports.Summary{Total: 2, Skipped: 2}}, "nothing judged"},
		{"not testable", reports.JSONReport{Summary: judged, NotTestable: &reports.Problem{Cause: "key", Reason: "401 on every control"}}, "not testable"},
		{"target broke", reports.JSONReport{Summary: judged, TargetBroke: &reports.Problem{Cause: "broken", Reason: "503 at the end"}}, "target broke during the run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, reports.RenderHTML(&buf, tt.rep, nil))
			doc, err := html.Parse(&buf)
			require.NoError(t, err)
			titles := domElements(doc, func(n *html.Node) bool { return n.Data == "title" })
			require.Len(t, titles, 1)
			assert.True(t, strings.HasPrefix(domText(titles[0]), tt.want+" · "), "title %q", domText(titles[0]))
			verdict := domElements(doc, func(n *html.Node) bool { return domAttr(n, "id") == "verdict" })
			require.Len(t, verdict, 1)
			assert.Equal(t, tt.want, domAttr(verdict[0], "data-verdict"))
			assert.Contains(t, domText(verdict[0]), tt.want)
			header := domElements(doc, func(n *html.Node) bool { return n.Data == "header" })
			require.Len(t, header, 1)
			assert.Equal(t, tt.want != "contract kept", domHasClass(header[0], "failed"), "the header is red unless the contract was kept")
		})
	}

	t.Run("fleet", func(t *testing.T) {
		part := reports.TargetPart(reports.FleetTarget{Name: "one", Run: junitRun(t, 3)})
		two := part
		two.Name = "two"
		var buf bytes.Buffer
		require.NoError(t, reports.RenderHTML(&buf, reports.AssembleFleet("0.0.0-test", []reports.TargetReport{part, two}, nil), nil))
		doc, err := html.Parse(&buf)
		require.NoError(t, err)
		titles := domElements(doc, func(n *html.Node) bool { return n.Data == "title" })
		require.Len(t, titles, 1)
		assert.True(t, strings.HasPrefix(domText(titles[0]), "contract broken · "), "title %q", domText(titles[0]))
		h1 := domElements(doc, func(n *html.Node) bool { return n.Data == "h1" })
		require.Len(t, h1, 1)
		assert.Contains(t, domText(h1[0]), "contract broken")
		details := domElements(doc, func(n *html.Node) bool { return n.Data == "details" })
		require.NotEmpty(t, details)
		for _, d := range details {
			_, open := domAttrOK(d, "open")
			assert.False(t, open, "failures are collapsed")
		}
		tables := domElements(doc, func(n *html.Node) bool { return n.Data == "table" })
		assert.Len(t, tables, 4, "the targets, the cells, and each target's failures by cause")
		for _, table := range tables {
			assert.True(t, domHasClass(table.Parent, "scroll"), "the fleet's tables scroll in their own box")
		}
	})
}
