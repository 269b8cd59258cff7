package runner_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// minting wraps a build of the reference that mints a request id for
// every answer, in its own way (mint): the id is sent as X-Request-Id and
// replaces every error's message, a bare token the message rule fails.
// Every error case then fails with a finding that quotes a fresh id.
func minting(mint func() string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			id, body := mint(), rec.Body.Bytes()
			var doc map[string]any
			if rec.Code >= 400 && json.Unmarshal(body, &doc) == nil {
				if e, ok := doc["error"].(map[string]any); ok {
					e["message"] = id
					body, _ = json.Marshal(doc)
				}
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.Header().Set("X-Request-Id", id)
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	}
}

// uuidIDs mints request ids as UUIDs (one build's way), hexIDs as 32
// hexadecimal digits (another build's way), each behind "request:".
func uuidIDs() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return "request:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func hexIDs() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "request:" + hex.EncodeToString(b)
}

// runJSON runs errconform against cfgPath and returns its JSON report's
// path; the run fails (exit 1): every error case fails the message rule.
// The rate-limit burst is left out: a second run within the reference's
// rate window finds the key already limited (errored, a real change).
func runJSON(t *testing.T, cfgPath, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	out := errconform(t, nil, "run", "--config", cfgPath, "--quiet", "--label-filter", "!group:ratelimit", "--json", path)
	require.Equal(t, 1, out.code, out.stdout+out.stderr)
	return path
}

// diffOf is errconform diff --json of two reports, and its exit code.
func diffOf(t *testing.T, old, new string) (reports.Diff, int) {
	t.Helper()
	out := errconform(t, nil, "diff", old, new, "--json")
	var d reports.Diff
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &d), out.stdout+out.stderr)
	return d, out.code
}

// idsOf lists the IDs of changes, sorted.
func idsOf(changes []reports.Change) []string {
	ids := []string{}
	for _, c := range changes {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return ids
}

// failingWithOtherFindings counts the cases failing in both reports whose
// findings differ byte for byte: what diff would list without normalising
// volatile values.
func failingWithOtherFindings(t *testing.T, a, b reports.JSONReport) int {
	t.Helper()
	before := map[string][]check.Finding{}
	for _, c := range a.Cases {
		if c.Verdict == check.Failed {
			before[c.ID] = c.Findings
		}
	}
	n := 0
	for _, c := range b.Cases {
		if old, ok := before[c.ID]; ok && c.Verdict == check.Failed {
			x, _ := json.Marshal(old)
			y, _ := json.Marshal(c.Findings)
			if string(x) != string(y) {
				n++
			}
		}
	}
	return n
}

// diff compares observations: two runs of the same target whose answers
// differ only in the ids it mints are no change, and two builds that
// differ in one behaviour and in how they mint ids differ only in the
// cases that behaviour touches.
func TestDiffReportsOnlyRealChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the catalogue four times")
	}
	cfgA, _ := startReference(t, minting(uuidIDs))
	first, second := runJSON(t, cfgA, "a1.json"), runJSON(t, cfgA, "a2.json")
	repA1, repA2 := readJSONReport(t, first), readJSONReport(t, second)
	require.Positive(t, repA1.Summary.Failed, "every error case fails the message rule")

	t.Run("the same target twice", func(t *testing.T) {
		require.Positive(t, failingWithOtherFindings(t, repA1, repA2), "the findings quote other ids: the test compares something")
		d, code := diffOf(t, first, second)
		assert.Equal(t, 0, code)
		assert.Empty(t, d.Regressions)
		assert.Empty(t, d.Fixes)
		assert.Empty(t, idsOf(d.ChangedFindings), "only the minted ids differ")
		assert.Empty(t, idsOf(d.OtherChanges))
		assert.Empty(t, d.Added)
		assert.Empty(t, d.Removed)
		out := errconform(t, nil, "diff", first, second)
		assert.Contains(t, out.stdout, "0 regressions, 0 fixed, 0 failing differently, 0 other changes, 0 new, 0 removed")
	})

	t.Run("two builds, one behaviour and the id minting changed", func(t *testing.T) {
		m401 := mutantByName(t, "openai-401-type")
		cfgB, _ := startReference(t, func(h http.Handler) http.Handler { return minting(hexIDs)(m401.Wrap(h)) })
		other := runJSON(t, cfgB, "b.json")
		repB := readJSONReport(t, other)
		require.Positive(t, failingWithOtherFindings(t, repA1, repB))

		judged := map[string]bool{}
		for _, c := range repA1.Cases {
			judged[c.ID] = c.Verdict == check.Failed
		}
		want := []string{}
		for _, c := range suites.Catalogue() {
			if m401.Affects(c) && judged[c.ID] {
				want = append(want, c.ID)
			}
		}
		sort.Strings(want)
		require.NotEmpty(t, want, "the mutant touches cases the run judged")

		d, code := diffOf(t, first, other)
		assert.Equal(t, 0, code, "failing for another reason is no regression")
		assert.Empty(t, d.Regressions)
		assert.Empty(t, d.Fixes)
		assert.Equal(t, want, idsOf(d.ChangedFindings), "exactly the cases the changed behaviour touches")
		rules := func(rep reports.JSONReport, id string) []string {
			var out []string
			for _, c := range rep.Cases {
				if c.ID == id {
					for _, f := range c.Findings {
						out = append(out, f.Rule)
					}
				}
			}
			return out
		}
		for _, id := range want {
			assert.NotContains(t, rules(repA1, id), "type", id)
			assert.Contains(t, rules(repB, id), "type", id)
		}
		assert.Empty(t, idsOf(d.OtherChanges))
		out := errconform(t, nil, "diff", first, other)
		assert.Contains(t, out.stdout, fmt.Sprintf("0 regressions, 0 fixed, %d failing differently, 0 other changes", len(want)))
		assert.False(t, strings.Contains(out.stdout, "REGRESSIONS"), out.stdout)
	})
}
