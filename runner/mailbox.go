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
// The concurrent phase hands a case to the client only while the answers
// waiting to be judged hold less than mailboxBytes of bodies and fewer
// than mailboxAhead of its cases are sent or waiting (admit): a target
// whose answers take longer to judge than to receive (a megabyte body on
// every case) then holds a few answers beyond the requests in flight,
// while a slow case (a gateway's timeout) does not hold up the cases
// after it. Nothing waits when the position the judging waits for is a
// case that runs alone after the concurrent phase: the judging cannot
// wait on a case that waits on it.
type mailbox struct {
	mu sync.Mutex
	// changed is closed and replaced on each delivery and each take.
	changed   chan struct{}
	waiting   map[int]suites.Result
	delivered []bool
	left      int
	// bytes is the size of the waiting answers' bodies.
	bytes int
	// next is the position the judging takes next; batch reports whether
	// a position is the concurrent phase's; fed and taken count the
	// concurrent phase's cases admitted and taken.
	next       int
	batch      func(i int) bool
	fed, taken int
}

// The bounds of the answers waiting to be judged (above).
const (
	mailboxAhead = 256
	mailboxBytes = 4 << 20
)

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

// bodyBytes is the size of a result's answers' bodies.
func bodyBytes(r suites.Result) int {
	n := 0
	for _, ex := range r.Exchanges {
		if ex.Response != nil {
			n += len(ex.Response.Body)
		}
	}
	return n
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
	m.bytes += bodyBytes(r)
	m.signal()
}

// admit waits, before the concurrent phase sends its case at position i,
// until the box has room for its answer (above); false when ctx ends
// first.
func (m *mailbox) admit(ctx context.Context, i int) bool {
	for {
		m.mu.Lock()
		full := (m.fed-m.taken >= mailboxAhead || m.bytes >= mailboxBytes) && m.canWait()
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
	m.next = i
	m.signal()
	m.mu.Unlock()
	for {
		m.mu.Lock()
		r, ok := m.waiting[i]
		if ok {
			delete(m.waiting, i)
			m.bytes -= bodyBytes(r)
			if m.batch(i) {
				m.taken++
			}
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
