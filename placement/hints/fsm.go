package hints

import (
	"errors"
	"sync"
	"sync/atomic"
)

// FSM is the state machine of a region's hint log: the current set. Raft
// applies entries from one goroutine; readers call Current from any, at
// any time, without waiting on Raft (a region without quorum keeps
// serving the last set).
type FSM struct {
	mu       sync.Mutex // serialises Apply and Restore
	cur      atomic.Pointer[Set]
	onChange func(*Set)

	applied, stale, rejected atomic.Uint64
}

// Stats count the entries the FSM saw.
type Stats struct {
	// Applied changed the set or left it as it was by rule (a removal of a
	// model without a hint); Stale were plans of an older generation;
	// Rejected did not decode or had an unknown type or version.
	Applied, Stale, Rejected uint64
}

// NewFSM is an FSM at the empty set. onChange, if not nil, is called with
// every new current set, from the applying goroutine: it must not block.
func NewFSM(onChange func(*Set)) *FSM {
	f := &FSM{onChange: onChange}
	f.cur.Store(Empty())
	return f
}

// Current is the current set; never nil, never to be modified.
func (f *FSM) Current() *Set { return f.cur.Load() }

// Stats are the FSM's counts so far.
func (f *FSM) Stats() Stats {
	return Stats{Applied: f.applied.Load(), Stale: f.stale.Load(), Rejected: f.rejected.Load()}
}

// Apply applies one log entry. It returns nil when the entry applied,
// ErrStale (wrapped) for a plan of an older generation, and ErrMalformed
// or ErrUnknown (wrapped) for an entry it cannot read; the latter leave
// the set as it was on every node alike, so the region stays consistent,
// and are counted in Stats.Rejected for an operator to see.
func (f *FSM) Apply(entry []byte) error {
	cmd, err := DecodeCommand(entry)
	if err != nil {
		f.rejected.Add(1)
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.cur.Load()
	next, err := commands[cmd.Type].apply(cur, cmd)
	if errors.Is(err, ErrStale) {
		f.stale.Add(1)
		return err
	}
	f.applied.Add(1)
	f.swap(cur, next)
	return err
}

// swap makes next current and tells onChange when it differs from cur.
func (f *FSM) swap(cur, next *Set) {
	if next == cur {
		return
	}
	f.cur.Store(next)
	if f.onChange != nil {
		f.onChange(next)
	}
}
