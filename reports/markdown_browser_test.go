package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"

	"github.com/errconform/errconform/reports"
)

// markdownMeasure is the test page's script: where the verdict heading
// and the causes table sit, and how wide the page is laid out, written
// into attributes of <html> for --dump-dom to carry out.
const markdownMeasure = `<script>
addEventListener('load', () => {
  const root = document.documentElement;
  const verdict = document.querySelector('h2');
  const causes = document.querySelector('table');
  root.dataset.verdictBottom = Math.round(verdict.getBoundingClientRect().bottom);
  root.dataset.causesTop = Math.round(causes.getBoundingClientRect().top);
  root.dataset.scrollWidth = root.scrollWidth;
  root.dataset.innerWidth = innerWidth;
  // A table wider than the page scrolls inside itself, as GitHub lays it
  // out: its columns past the edge are what a reader never sees.
  let hidden = 0;
  for (const t of document.querySelectorAll('table')) hidden += Math.max(0, t.scrollWidth - t.clientWidth);
  root.dataset.tableHidden = hidden;
});
</script>`

// TestMarkdownSummaryInChromium renders a failing run's step summary as a
// CI page shows it (GitHub-flavoured Markdown, rendered by goldmark, laid
// out as GitHub's stylesheet does: a table scrolls inside itself), in
// headless Chromium at 800 and 1280 px: the verdict word and the causes of
// failure are on the first screen, and nothing is laid out wider than
// the window. Screenshots go to out/markdown-summary-<width>.png.
func TestMarkdownSummaryInChromium(t *testing.T) {
	browser := chromiumOrSkip(t)
	rep, contract := htmlRealReport(t, "openai-401-type")
	var md bytes.Buffer
	require.NoError(t, reports.RenderMarkdown(&md, rep, contract))
	var body bytes.Buffer
	require.NoError(t, goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md.Bytes(), &body))
	page := filepath.Join(t.TempDir(), "summary.html")
	doc := `<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{font:14px sans-serif;margin:16px;max-width:100%}` +
		`table{border-collapse:collapse;display:block;width:max-content;max-width:100%;overflow:auto}td,th{border:1px solid #ccc;padding:4px}` +
		`pre{overflow:auto}</style></head><body>` + body.String() + markdownMeasure + `</body></html>`
	require.NoError(t, os.WriteFile(page, []byte(doc), 0o644))
	pageURL := "file://" + filepath.ToSlash(page)

	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "out"), 0o755))
	const screen = 900 // px: the first screen of a CI page
	for _, width := range []int{800, 1280} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			size := "--window-size=" + strconv.Itoa(width) + "," + strconv.Itoa(screen)
			dom, err := html.Parse(strings.NewReader(runChromium(t, browser, "--dump-dom", size, pageURL)))
			require.NoError(t, err)
			root := domElements(dom, func(n *html.Node) bool { return n.Data == "html" })
			require.Len(t, root, 1)
			number := func(name string) int {
				n, err := strconv.Atoi(domAttr(root[0], name))
				require.NoError(t, err, "%s (the measuring script did not run?)", name)
				return n
			}
			headings := domElements(dom, func(n *html.Node) bool { return n.Data == "h2" })
			require.NotEmpty(t, headings)
			assert.Contains(t, domText(headings[0]), "contract broken", "the verdict word heads the page")
			assert.Less(t, number("data-verdict-bottom"), screen, "the verdict is on the first screen")
			assert.Less(t, number("data-causes-top"), screen, "the causes of failure start on the first screen")
			assert.LessOrEqual(t, number("data-scroll-width"), number("data-inner-width"), "nothing is laid out wider than the window")
			assert.Zero(t, number("data-table-hidden"), "no table hides a column past the page's edge")

			shot := filepath.Join(repo, "out", "markdown-summary-"+strconv.Itoa(width)+".png")
			runChromium(t, browser, "--screenshot="+shot, size, pageURL)
			png, err := os.ReadFile(shot)
			require.NoError(t, err, "chromium wrote no screenshot")
			assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "the screenshot is a PNG")
		})
	}
}
