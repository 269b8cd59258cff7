package runner

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/suites"
)

// Every case line carries [n/N], n padded to N's width; a run with
// explore variants prints an estimate at every tenth of them (none after
// the last); a nil progress numbers nothing.
func TestProgressNumbersTheCaseLines(t *testing.T) {
	caseResult := func(id string) suites.Result {
		return suites.Result{Case: suites.Case{ID: id}, Verdict: check.Passed}
	}
	tests := []struct {
		name      string
		ids       []string
		variants  int
		counters  []string
		estimates int
	}{
		{"catalogue cases", []string{"control/chat", "auth/a", "auth/b"}, 0, []string{"[1/3]", "[2/3]", "[3/3]"}, 0},
		{"padded to the total's width", make10("auth/x"), 0, []string{"[ 1/10]", "[ 2/10]", "[ 3/10]", "[ 4/10]", "[ 5/10]", "[ 6/10]", "[ 7/10]", "[ 8/10]", "[ 9/10]", "[10/10]"}, 0},
		{"explore: an estimate per tenth, none at the end", make10("explore/chat/model/wrong-type"), 10, nil, 9},
		{"explore: fewer than ten variants, one per variant", []string{"control/chat", "explore/a", "explore/b", "explore/c"}, 3, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProgress(len(tt.ids), tt.variants)
			var b strings.Builder
			for _, id := range tt.ids {
				p.line(&b, caseResult(id))
			}
			lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
			var counters []string
			estimates := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "explore: ") {
					estimates++
					assert.Regexp(t, `^explore: \d+ of \d+ variants judged \(\d+%\), \d+/s, about \S+ left$`, l)
					continue
				}
				require.True(t, strings.HasPrefix(l, "  ["), l)
				counters = append(counters, l[2:strings.Index(l, "]")+1])
				assert.Contains(t, l, "] PASS  ", "the verdict follows the counter")
			}
			assert.Len(t, counters, len(tt.ids))
			if tt.counters != nil {
				assert.Equal(t, tt.counters, counters)
			}
			assert.Equal(t, tt.estimates, estimates)
		})
	}
	var nilProgress *progress
	var b strings.Builder
	nilProgress.line(&b, caseResult("auth/a"))
	assert.True(t, strings.HasPrefix(b.String(), "  PASS  auth/a"), b.String())
}

func make10(id string) []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = id
	}
	return out
}

func TestEstimate(t *testing.T) {
	tests := []struct {
		judged, total int
		elapsed       time.Duration
		want          string
	}{
		{100, 1000, 10 * time.Second, "100 of 1000 variants judged (10%), 10/s, about 1m30s left"},
		{500, 1000, 5 * time.Second, "500 of 1000 variants judged (50%), 100/s, about 5s left"},
		{1, 2, 0, "1 of 2 variants judged (50%), 1000/s, about 0s left"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, estimate(tt.judged, tt.total, tt.elapsed))
	}
}

// A fleet's targets print their lines concurrently under one count: each
// line's counter is unique and the last is the total.
func TestFleetLinesShareOneCount(t *testing.T) {
	p := newProgress(40, 0)
	var mu sync.Mutex
	var b strings.Builder
	var wg sync.WaitGroup
	for target := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				counter := p.tick()
				mu.Lock()
				printFleetCaseLine(&b, fmt.Sprintf("t%d", target), counter, suites.Result{Case: suites.Case{ID: fmt.Sprintf("auth/%d", i)}, Verdict: check.Passed})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		m := regexp.MustCompile(`^  \[t\d\] (\[[ \d]+/40\]) PASS`).FindStringSubmatch(l)
		require.NotNil(t, m, l)
		assert.False(t, seen[m[1]], "counter %s twice", m[1])
		seen[m[1]] = true
	}
	assert.Len(t, seen, 40)
	assert.True(t, seen["[40/40]"])
	var none *progress
	assert.Empty(t, none.tick(), "a nil progress numbers nothing")
}
