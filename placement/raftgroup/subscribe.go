package raftgroup

import (
	"sync"

	"github.com/edgeserve/edgeserve/placement/hints"
)

// subscribers hand every new hint set to each subscription; a channel
// holds one set, and a newer set replaces one not yet read, so the FSM
// never waits on a slow reader.
type subscribers struct {
	mu     sync.Mutex // guards subs and closed; publish sends under it
	subs   map[chan *hints.Set]struct{}
	closed bool
}

func newSubscribers() *subscribers { return &subscribers{subs: map[chan *hints.Set]struct{}{}} }

// add is a new subscription holding cur.
func (s *subscribers) add(cur *hints.Set) chan *hints.Set {
	ch := make(chan *hints.Set, 1)
	ch <- cur
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(ch)
		return ch
	}
	s.subs[ch] = struct{}{}
	return ch
}

func (s *subscribers) remove(ch chan *hints.Set) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[ch]; ok {
		delete(s.subs, ch)
		close(ch)
	}
}

// publish replaces each channel's unread set with set. It never blocks:
// only publish sends, and it empties a channel before sending.
func (s *subscribers) publish(set *hints.Set) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case <-ch:
		default:
		}
		ch <- set
	}
}

func (s *subscribers) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for ch := range s.subs {
		delete(s.subs, ch)
		close(ch)
	}
}
