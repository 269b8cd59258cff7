package runner

import (
	"context"
	"sync"

	"github.com/errconform/errconform/suites"
)

// mailbox carries a target's results from the engine, which performs its
// cases concurrently, to what judges them one at a time in the judging
// order (the target's Ginkgo specs): a result waits in it from its
// delivery until it is taken, then it is gone.
//
// The concurrent phase hands a case to the client only when fewer than
// outstanding of its cases are sent or waiting to be judged (admit): a
// target whose answers take longer to judge than to receive (a megabyte
// body on every case) then holds few more answers than the requests it
// has in flight. A target whose specs have not begun (a fleet's, whose
// container comes after others) may run mailboxAhead cases ahead of them
// instead, so that a fleet's targets still run side by side. Nothing
// waits when the position the judging waits for is not the concurrent
// phase's (a control, or a case that runs alone after it): the judging
// cannot wait on a case that waits on it.
type mailbox struct {
	mu sync.Mutex
	// changed is closed and replaced on each delivery and each take.
	changed   chan struct{}
	waiting   map[int]suites.Result
	delivered []bool
	left      int
	// next is the position the judging takes next; judging: it has begun
	// (or is the next to begin);
	// batch reports whether a position is the concurrent phase's; fed and
	// taken count the concurrent phase's cases admitted and taken;
	// outstanding bounds their difference.
	next        int
	judging     bool
	batch       func(i int) bool
	fed, taken  int
	outstanding int
}

// newMailbox is the box of n positions; batch says which of them the
// concurrent phase delivers, and at most outstanding of those are sent or
// waiting to be judged at once (at least 1).
func newMailbox(n int, batch func(i int) bool, outstanding int) *mailbox {
	return &mailbox{changed: make(chan struct{}), waiting: map[int]suites.Result{}, delivered: make([]bool, n), left: n,
		batch: batch, outstanding: max(outstanding, 1)}
}

// mailboxAhead bounds how many of its concurrent phase's cases a target
// whose specs have not begun runs ahead of them.
const mailboxAhead = 256

// judgeFirst marks the box's target as the one whose specs run first:
// its cases are held to outstanding from the start.
func (m *mailbox) judgeFirst() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.judging = true
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

// admit waits, before the concurrent phase sends its case at position i,
// until the box has room for its answer (above); false when ctx ends
// first.
func (m *mailbox) admit(ctx context.Context, i int) bool {
	for {
		m.mu.Lock()
		limit := m.outstanding
		if !m.judging {
			limit = mailboxAhead
		}
		full := m.fed-m.taken >= limit && m.canWait()
		if !full {
			m.fed++
		}
		changed := m.changed
		m.mu.Unlock()
		if !full {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// canWait reports whether the concurrent phase may wait for the judging:
// the position the judging waits for is the concurrent phase's, or has
// its result already (a control's, delivered before the phase began); not
// when it is a case that runs alone after the phase. m.mu is held.
func (m *mailbox) canWait() bool {
	if m.next >= len(m.delivered) {
		return false
	}
	return m.batch(m.next) || m.delivered[m.next]
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
			if m.batch(i) {
				m.taken++
			}
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
