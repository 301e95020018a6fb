package gossip

import "sync"

// subscribers fans events out without blocking the gossip paths: a full
// subscriber loses the event (counted in dropped).
type subscribers struct {
	mu      sync.Mutex
	chans   map[int]chan Event // guarded by mu; each closed by closeAll or its cancel
	next    int
	closed  bool
	dropped uint64
}

// Subscribe delivers changes until cancel is called.
func (g *Gossip) Subscribe(buffer int) (<-chan Event, func()) { return g.subs.add(buffer) }

func (s *subscribers) add(buffer int) (<-chan Event, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(chan Event, max(buffer, 1))
	if s.closed {
		close(c)
		return c, func() {}
	}
	if s.chans == nil {
		s.chans = map[int]chan Event{}
	}
	id := s.next
	s.next++
	s.chans[id] = c
	return c, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ch, ok := s.chans[id]; ok {
			delete(s.chans, id)
			close(ch)
		}
	}
}

func (s *subscribers) send(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.chans {
		select {
		case c <- e:
		default:
			s.dropped++
		}
	}
}

func (s *subscribers) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for id, c := range s.chans {
		delete(s.chans, id)
		close(c)
	}
}
