package reports_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// renderHTMLDoc renders rep's HTML report and parses it.
func renderHTMLDoc(t *testing.T, rep reports.JSONReport, contract *spec.Contract) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, reports.RenderHTML(&buf, rep, contract))
	doc, err := html.Parse(&buf)
	require.NoError(t, err)
	return doc
}

// matrixRows maps each matrix row's status to its header cell.
func matrixRows(doc *html.Node) map[int]*html.Node {
	rows := map[int]*html.Node{}
	for _, tr := range domElements(doc, func(n *html.Node) bool { return n.Data == "tr" && domAttr(n, "data-status") != "" }) {
		status, _ := strconv.Atoi(domAttr(tr, "data-status"))
		rows[status] = domElements(tr, func(n *html.Node) bool { return n.Data == "th" })[0]
	}
	return rows
}

// matrixColumns lists the matrix's column codes, in order.
func matrixColumns(doc *html.Node) []string {
	var codes []string
	for _, th := range domElements(doc, func(n *html.Node) bool { return n.Data == "th" && domAttr(n, "scope") == "col" }) {
		if code, ok := domAttrOK(th, "data-code"); ok {
			codes = append(codes, code)
		}
	}
	return codes
}

// The matrix's statuses come from the cases (and from the report's own
// contract), never from the default contract: an OpenRouter run has 408
// and 503 rows and no 404.
func TestHTMLMatrixTakesStatusesFromTheCases(t *testing.T) {
	openrouter, err := spec.Builtin("openrouter")
	require.NoError(t, err)
	aiand, err := spec.Load()
	require.NoError(t, err)
	tests := []struct {
		name           string
		contractName   string
		layout         *spec.Contract
		want, wantNot  []int
		offContract    []int // rows marked as outside the contract
		noCodeColLabel string
	}{
		{"its own contract", "openrouter", openrouter, []int{400, 401, 402, 408, 429, 502, 503}, []int{404, 410, 500, 504}, nil, "(code = status)"},
		{"the default contract given by mistake", "openrouter", aiand, []int{400, 401, 402, 408, 429, 502}, []int{403, 404, 410, 500, 503, 504}, nil, "(no code)"},
		{"no contract", "openrouter", nil, []int{400, 401, 402, 408, 429, 502}, []int{404, 503}, nil, "(no code)"},
		{"a report that does not name its contract", "", openrouter, []int{408, 503}, []int{404}, nil, "(code = status)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, _ := contractRun(t, "openrouter", tt.contractName)
			doc := renderHTMLDoc(t, reports.BuildJSON(run), tt.layout)
			rows := matrixRows(doc)
			for _, s := range tt.want {
				require.Contains(t, rows, s, "a %d row", s)
				assert.False(t, domHasClass(rows[s], "off"), "%d is not marked outside the contract", s)
				assert.NotContains(t, domText(rows[s]), "not in contract", "a contract without types still has the %d row", s)
			}
			for _, s := range tt.wantNot {
				assert.NotContains(t, rows, s, "no %d row", s)
			}
			cols := matrixColumns(doc)
			require.NotEmpty(t, cols)
			assert.Equal(t, []string{""}, cols, "OpenRouter's cases name no code: one column")
			noCode := domElements(doc, func(n *html.Node) bool {
				code, ok := domAttrOK(n, "data-code")
				return n.Data == "th" && ok && code == "" && domAttr(n, "scope") == "col"
			})
			require.Len(t, noCode, 1)
			assert.Contains(t, domText(noCode[0]), tt.noCodeColLabel)
		})
	}
}

// A contract with numeric codes (a third contract's) gets its columns in
// numeric order; the cases not in the contract have no cell.
func TestHTMLMatrixNumericCodes(t *testing.T) {
	mk := func(id string, status int, code string, v check.Verdict) reports.CaseReport {
		return reports.CaseReport{ID: id, Group: "g", Expect: check.Expectation{Status: status, Code: code}, Verdict: v, Findings: []check.Finding{}}
	}
	nic := reports.CaseReport{ID: "files/x", Group: "files", Verdict: check.Skipped, SkipReason: check.NotInContract,
		NotInContract: "the contract third has no POST /files", Findings: []check.Finding{}}
	rep := reports.JSONReport{Contract: reports.ContractInfo{Name: "third", Version: "1"},
		Summary: reports.Summary{Total: 5, Passed: 3, Failed: 1, Skipped: 1, NotInContract: 1},
		Cases: []reports.CaseReport{
			mk("a/a", 408, "1001", check.Passed), mk("a/b", 503, "408", check.Failed), mk("a/c", 400, "", check.Passed),
			mk("a/d", 418, "teapot", check.Passed), nic,
		}}
	doc := renderHTMLDoc(t, rep, nil)
	assert.Equal(t, []string{"408", "1001", "teapot", ""}, matrixColumns(doc))
	assert.Equal(t, "failed", htmlCellVerdict(t, domElements(doc, func(n *html.Node) bool { return n.Data == "td" }), "503", "408"))
	rows := matrixRows(doc)
	assert.Len(t, rows, 4, "400, 408, 418 and 503: the case not in the contract has no row")
	assert.Contains(t, domText(doc), "The 1 cases not in this contract have no cell.")
}

// A case not in the contract is a skip, never a pass: badge, reason and
// summary tile say so.
func TestHTMLShowsNotInContractAsSkips(t *testing.T) {
	run, contract := contractRun(t, "openrouter", "openrouter")
	rep := reports.BuildJSON(run)
	doc := renderHTMLDoc(t, rep, contract)
	nic := countNotInContract(run.Results)

	tiles := domElements(doc, func(n *html.Node) bool { return domAttr(n, "data-summary") == "not-in-contract" })
	require.Len(t, tiles, 1)
	assert.Equal(t, strconv.Itoa(nic), domText(tiles[0].FirstChild))
	assert.Contains(t, domText(tiles[0]), "not in this contract")
	reasons := domElements(doc, func(n *html.Node) bool { return domAttr(n, "id") == "not-in-contract" })
	require.Len(t, reasons, 1)
	assert.Contains(t, domText(reasons[0]), "the contract openrouter has no POST /files")

	byID := map[string]*html.Node{}
	for _, d := range domElements(doc, func(n *html.Node) bool { return n.Data == "details" && domHasClass(n, "case") }) {
		byID[domAttr(d, "data-case-id")] = d
	}
	seen := 0
	for _, r := range run.Results {
		d := byID[r.Case.ID]
		require.NotNil(t, d, r.Case.ID)
		if r.Case.NotInContract == "" {
			if r.Verdict == check.Passed {
				_, has := domAttrOK(d, "data-skip-reason")
				assert.False(t, has, r.Case.ID)
			}
			continue
		}
		seen++
		assert.Equal(t, "skipped", domAttr(d, "data-verdict"), r.Case.ID)
		assert.Equal(t, "not-in-contract", domAttr(d, "data-skip-reason"), r.Case.ID)
		assert.Contains(t, domText(d), "not in this contract: "+r.Case.NotInContract, r.Case.ID)
		for _, badge := range domElements(d, func(n *html.Node) bool { return domHasClass(n, "badge") }) {
			assert.Contains(t, domText(badge), "skipped", r.Case.ID)
		}
	}
	assert.Equal(t, nic, seen)

	// The default contract's report has no such tile.
	run, contract = contractRun(t, "aiand", "aiand")
	doc = renderHTMLDoc(t, reports.BuildJSON(run), contract)
	assert.Empty(t, domElements(doc, func(n *html.Node) bool { return domAttr(n, "data-summary") == "not-in-contract" }))
	assert.NotContains(t, domText(doc), "not in this contract")
}

// The legend's meanings are check.VerdictTable's.
func TestHTMLLegendReadsTheVerdictTable(t *testing.T) {
	run, contract := contractRun(t, "aiand", "aiand")
	doc := renderHTMLDoc(t, reports.BuildJSON(run), contract)
	legend := domElements(doc, func(n *html.Node) bool { return domAttr(n, "id") == "legend" })
	require.Len(t, legend, 1)
	titles := map[string]bool{}
	for _, n := range domElements(legend[0], func(n *html.Node) bool { return n.Data == "span" }) {
		titles[domAttr(n, "title")] = true
	}
	for _, m := range check.VerdictTable()[:6] {
		assert.True(t, titles[m.Meaning], "legend: %s", m.Name)
	}
}
