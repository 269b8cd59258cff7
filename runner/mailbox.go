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
type mailbox struct {
	mu        sync.Mutex
	arrived   chan struct{} // closed and replaced on each delivery
	waiting   map[int]suites.Result
	delivered []bool
	left      int
}

func newMailbox(n int) *mailbox {
	return &mailbox{arrived: make(chan struct{}), waiting: map[int]suites.Result{}, delivered: make([]bool, n), left: n}
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
	close(m.arrived)
	m.arrived = make(chan struct{})
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

// take waits for the result at position i and takes it out; false when
// ctx ends first.
func (m *mailbox) take(ctx context.Context, i int) (suites.Result, bool) {
	for {
		m.mu.Lock()
		r, ok := m.waiting[i]
		if ok {
			delete(m.waiting, i)
		}
		arrived := m.arrived
		m.mu.Unlock()
		if ok {
			return r, true
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return suites.Result{}, false
		}
	}
}
