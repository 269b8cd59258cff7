package runner

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/errconform/errconform/suites"
)

// progress numbers a run's case lines, [n/N] with n the lines printed so
// far and N the cases selected (a fleet's over every target), and, while
// explore variants are judged, prints an estimate every tenth of them:
// how many are judged, at what rate, and about how long the rest take.
// A nil progress numbers nothing.
type progress struct {
	mu      sync.Mutex
	n       int
	total   int
	started time.Time
	// variants is how many explore variants the run selected; judged how
	// many have a line; step how many make a tenth.
	variants, judged, step int
}

// newProgress is the progress of a run of total cases, variants of them
// explore variants.
func newProgress(total, variants int) *progress {
	return &progress{total: total, started: time.Now(), variants: variants, step: max(variants/10, 1)}
}

// line prints r's case line, numbered, and the explore estimate when one
// is due.
func (p *progress) line(w io.Writer, r suites.Result) {
	if p == nil {
		printCaseLine(w, "", r)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	printCaseLine(w, p.counter(), r)
	if p.variants == 0 || !strings.HasPrefix(r.Case.ID, suites.ExploreGroup+"/") {
		return
	}
	p.judged++
	if p.judged%p.step == 0 && p.judged < p.variants {
		fmt.Fprintf(w, "explore: %s\n", estimate(p.judged, p.variants, time.Since(p.started)))
	}
}

// tick counts one more line and returns its counter ("" for a nil
// progress): a fleet's lines, printed by each target, share one count.
func (p *progress) tick() string {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return p.counter()
}

// counter is "[ n/N]", n padded to N's width so that the lines align.
func (p *progress) counter() string {
	width := len(strconv.Itoa(p.total))
	return fmt.Sprintf("[%*d/%d]", width, p.n, p.total)
}

// estimate says how far explore is: the variants judged of all, the rate
// so far and the time the rest take at that rate.
func estimate(judged, total int, elapsed time.Duration) string {
	rate := float64(judged) / max(elapsed.Seconds(), 1e-3)
	left := time.Duration(float64(total-judged) / rate * float64(time.Second))
	return fmt.Sprintf("%d of %d variants judged (%d%%), %.0f/s, about %s left", judged, total, judged*100/total, rate, left.Round(time.Second))
}
