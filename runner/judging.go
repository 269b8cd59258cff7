package runner

import (
	"context"
	"time"

	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// The judging of a target's cases: the order they are judged in, taking
// each from the mailbox, deciding it (suites.Judge, the waiver; what a
// spec's contract matcher calls), keeping what the run needs of it, and
// completing the target once every case is judged. The specs (specs.go)
// drive it; a live baseline's targets are judged by it directly.

// judgingOrder is the order in which a target's cases are judged: the
// engine's (the controls, then the concurrent phase's cases in the list's
// order, variants among them, then those that run alone), so that the
// judging never waits on a case the engine will perform only after the
// ones it holds. notBatch marks the controls and the cases that run alone
// (few, and among the catalogue's cases).
func judgingOrder(l caseList) (order []int, notBatch map[int]bool) {
	order = make([]int, 0, l.Len())
	notBatch = map[int]bool{}
	held := func(yield func(int, suites.Case)) {
		for i, c := range l.head {
			yield(i, c)
		}
		for i, c := range l.tail {
			yield(len(l.head)+l.variants.total+i, c)
		}
	}
	held(func(i int, c suites.Case) {
		if c.Control {
			order = append(order, i)
			notBatch[i] = true
		}
	})
	for i := range l.Len() {
		if i < len(l.head) && (l.head[i].Control || l.head[i].Alone) {
			continue
		}
		if j := i - len(l.head) - l.variants.total; j >= 0 && (l.tail[j].Control || l.tail[j].Alone) {
			continue
		}
		order = append(order, i)
	}
	held(func(i int, c suites.Case) {
		if c.Alone && !c.Control {
			order = append(order, i)
			notBatch[i] = true
		}
	})
	return order, notBatch
}

// judgeUpTo judges the target's cases in the judging order, up to (not
// including) the k-th, each as the engine hands it over: Judge (what a
// spec's contract matcher calls), the case's waiver, its line, what the
// run keeps of it. It returns false when ctx ended first (an interrupted
// spec: the rest are judged when the target finishes).
func (t *targetRun) judgeUpTo(ctx context.Context, k int, lines *caseLines) bool {
	for ; t.k < k; t.k++ {
		r, ok := t.box.take(ctx, t.order[t.k])
		if !ok {
			return false
		}
		t.record(t.order[t.k], t.judged(r, lines))
	}
	return true
}

// takeKth takes the result of the case judged k-th, once those before it
// are judged (a spec whose predecessors an interrupt stopped judges them
// first), for its spec to judge; false when ctx ended first.
func (t *targetRun) takeKth(ctx context.Context, k int, lines *caseLines) (suites.Result, bool) {
	if !t.judgeUpTo(ctx, k, lines) {
		return suites.Result{}, false
	}
	r, ok := t.box.take(ctx, t.order[k])
	if ok {
		t.k = k + 1
	}
	return r, ok
}

// caseAt is the catalogue's case at position i of the list.
func (t *targetRun) caseAt(i int) suites.Case {
	if i < len(t.list.head) {
		return t.list.head[i]
	}
	return t.list.tail[i-len(t.list.head)-t.list.variants.total]
}

// judged is a performed case's verdict decided (suites.Judge, then its
// waiver) and its line printed.
func (t *targetRun) judged(r suites.Result, lines *caseLines) suites.Result {
	r = suites.Judge(r, t.judgeTarget, t.res.cfg.Strict)
	if t.notTestable == nil {
		w, ok := t.res.waivers[r.Case.ID]
		r = suites.ApplyWaiver(r, w, ok, time.Now())
		lines.print(t, r)
	} else if lines != nil && lines.named {
		lines.print(t, r) // a single target's summary says the cause once
	}
	return r
}

// record keeps what the run needs of the result at position i: a
// variant's in explored, a catalogue case's in held (a target that is not
// testable: every case's).
func (t *targetRun) record(i int, r suites.Result) {
	if t.notTestable != nil {
		t.held[i] = r
		return
	}
	r = t.keep(r)
	if ex, judged := r.Judged(); judged && ex.Failure == probe.FailureCancelled && !t.list.isVariant(i) {
		t.notCompleted++ // stopped in flight, or before it could send
	}
	if t.list.isVariant(i) {
		t.explored.record(i-len(t.list.head), r)
	} else {
		t.held[i] = r
	}
}

// complete ends a target's run once every case is judged: its results in
// the list's order, what it says if the target broke during the run, and
// its exit code.
func (t *targetRun) complete(ctx context.Context, o runOptions, lines *caseLines) {
	if t.notTestable != nil {
		for i := range t.list.Len() {
			t.results = append(t.results, t.held[i])
		}
		t.held = nil
		t.code = ExitUnreachable
		return
	}
	for i := range t.list.head {
		t.results = append(t.results, t.held[i])
	}
	t.results = append(t.results, t.explored.ordered()...)
	for i := range t.list.tail {
		t.results = append(t.results, t.held[len(t.list.head)+t.list.variants.total+i])
	}
	t.held = nil
	t.notCompleted += t.explored.cancelled
	if t.broke != nil && lines != nil && lines.named {
		lines.printf("  [%s] TARGET BROKE DURING THE RUN (%s): %s\n", t.name(), t.broke.Cause, reports.Printable(t.redactor.String(t.broke.Reason)))
	}
	summary := t.summary()
	t.code = runExitCode(summary, reports.Run{Results: t.results, TargetBroke: t.broke})
	if t.code == ExitOK && ctx.Err() != nil {
		t.code = ExitFailed
	}
	if t.code == ExitOK && o.shard == "" && summary.NothingJudged() {
		// A shard may hold no judgeable case; merge judges the whole run.
		t.code = ExitFailed
	}
}
