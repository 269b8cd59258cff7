package runner

import (
	"context"
	"sync"

	"github.com/errconform/errconform/suites"
)

// mailbox carries a target's results from the engine, which performs its
// cases concurrently, to what judges them one at a time in the list's
// order (the target's Ginkgo specs): a result waits in it from its
// delivery until it is taken, then it is gone.
//
// The concurrent phase's deliveries (deliverBatch) wait while the box
// holds mailboxHeld results and the judging has begun, so that a target
// whose answers take longer to judge than to receive (an endless body on
// every variant) does not hold every answer at once. The position the
// judging waits for is always let in, and nothing waits when that
// position is not the concurrent phase's (a control, or a case that runs
// alone after it): the judging then cannot wait on a delivery that waits
// on it.
type mailbox struct {
	mu sync.Mutex
	// changed is closed and replaced on each delivery and each take.
	changed   chan struct{}
	waiting   map[int]suites.Result
	delivered []bool
	left      int
	// next is the position the judging takes next; judging: it has begun;
	// batch reports whether a position is the concurrent phase's.
	next    int
	judging bool
	batch   func(i int) bool
}

// mailboxHeld bounds the concurrent phase's results waiting to be judged.
const mailboxHeld = 32

// newMailbox is the box of n positions; batch says which of them the
// concurrent phase delivers.
func newMailbox(n int, batch func(i int) bool) *mailbox {
	return &mailbox{changed: make(chan struct{}), waiting: map[int]suites.Result{}, delivered: make([]bool, n), left: n, batch: batch}
}

// signal wakes whoever waits for a change; m.mu is held.
func (m *mailbox) signal() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// deliver hands over the result of the case at position i (the first
// delivery for a position counts).
func (m *mailbox) deliver(i int, r suites.Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || i >= len(m.delivered) || m.delivered[i] {
		return
	}
	m.delivered[i] = true
	m.left--
	m.waiting[i] = r
	m.signal()
}

// deliverBatch is deliver for the concurrent phase: it waits while the
// box is full (above).
func (m *mailbox) deliverBatch(i int, r suites.Result) {
	for {
		m.mu.Lock()
		full := m.judging && len(m.waiting) >= mailboxHeld && i != m.next && m.batch(m.next)
		changed := m.changed
		m.mu.Unlock()
		if !full {
			m.deliver(i, r)
			return
		}
		<-changed
	}
}

// has reports whether position i has had its result delivered.
func (m *mailbox) has(i int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return i >= 0 && i < len(m.delivered) && m.delivered[i]
}

// missing is how many positions have no result yet.
func (m *mailbox) missing() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.left
}

// take waits for the result at position i (the judging takes them in
// order) and takes it out; false when ctx ends first.
func (m *mailbox) take(ctx context.Context, i int) (suites.Result, bool) {
	m.mu.Lock()
	m.judging, m.next = true, i
	m.signal()
	m.mu.Unlock()
	for {
		m.mu.Lock()
		r, ok := m.waiting[i]
		if ok {
			delete(m.waiting, i)
			m.next = i + 1
			m.signal()
		}
		changed := m.changed
		m.mu.Unlock()
		if ok {
			return r, true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return suites.Result{}, false
		}
	}
}
