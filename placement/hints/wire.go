package hints

import (
	"errors"
	"fmt"
	"math"

	"github.com/edgeserve/edgeserve/placement/hints/hintspb"
)

// Limits a decoder enforces on what it accepts.
const (
	// maxEntryBytes bounds a log entry or snapshot (a set of thousands of
	// models is well under a megabyte).
	maxEntryBytes = 16 << 20
	// maxCopies bounds a hint's copies and nodes.
	maxCopies = 1 << 12
)

var (
	// ErrMalformed is an entry or snapshot that does not decode, or decodes
	// to a set that breaks its rules.
	ErrMalformed = errors.New("hints: malformed")
	// ErrUnknown is a command type or payload version this build does not
	// read.
	ErrUnknown = errors.New("hints: unknown command")
	// ErrStale is a hint set whose generation is not the current one plus
	// one: it was planned from an older state (a deposed leader's, or one
	// raced by a removal). It changes nothing.
	ErrStale = errors.New("hints: stale generation")
)

// toProto converts a set for the wire.
func toProto(s *Set) *hintspb.HintSet {
	p := &hintspb.HintSet{Generation: s.Generation, Leader: s.Leader, MadeUnixMs: s.MadeUnixMs}
	for _, h := range s.Hints {
		p.Hints = append(p.Hints, &hintspb.Hint{Model: h.Model, Copies: uint32(h.Copies), Nodes: h.Nodes, Reason: hintspb.Reason(h.Reason)})
	}
	for _, d := range s.Demand {
		p.Demand = append(p.Demand, &hintspb.Demand{Model: d.Model, PerSecond: d.PerSecond, NeighbourPerSecond: d.NeighbourPerSecond})
	}
	return p
}

// fromProto converts and checks a set read from the wire.
func fromProto(p *hintspb.HintSet) (*Set, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: no hint set", ErrMalformed)
	}
	s := &Set{Generation: p.Generation, Leader: p.Leader, MadeUnixMs: p.MadeUnixMs}
	for _, h := range p.Hints {
		if h.Copies > maxCopies {
			return nil, fmt.Errorf("%w: %q wants %d copies", ErrMalformed, h.Model, h.Copies)
		}
		s.Hints = append(s.Hints, Hint{Model: h.Model, Copies: int(h.Copies), Nodes: h.Nodes, Reason: Reason(h.Reason)})
	}
	for _, d := range p.Demand {
		s.Demand = append(s.Demand, Rate{Model: d.Model, PerSecond: d.PerSecond, NeighbourPerSecond: d.NeighbourPerSecond})
	}
	return s, Check(s)
}

// Check reports whether s keeps a set's rules: models named, sorted and
// unique; one to maxCopies copies; nodes named, sorted, unique and no more
// than the copies; a known reason; rates finite and not negative.
func Check(s *Set) error {
	for i, h := range s.Hints {
		if err := checkHint(h); err != nil {
			return err
		}
		if i > 0 && s.Hints[i-1].Model >= h.Model {
			return fmt.Errorf("%w: hints not sorted at %q", ErrMalformed, h.Model)
		}
	}
	for i, d := range s.Demand {
		if d.Model == "" || !rateOK(d.PerSecond) || !rateOK(d.NeighbourPerSecond) {
			return fmt.Errorf("%w: demand %q %v/%v", ErrMalformed, d.Model, d.PerSecond, d.NeighbourPerSecond)
		}
		if i > 0 && s.Demand[i-1].Model >= d.Model {
			return fmt.Errorf("%w: demand not sorted at %q", ErrMalformed, d.Model)
		}
	}
	return nil
}

func checkHint(h Hint) error {
	switch {
	case h.Model == "":
		return fmt.Errorf("%w: a hint without a model", ErrMalformed)
	case h.Copies < 1 || h.Copies > maxCopies:
		return fmt.Errorf("%w: %q wants %d copies", ErrMalformed, h.Model, h.Copies)
	case len(h.Nodes) == 0 || len(h.Nodes) > h.Copies:
		return fmt.Errorf("%w: %q on %d nodes for %d copies", ErrMalformed, h.Model, len(h.Nodes), h.Copies)
	case h.Reason != Demand && h.Reason != Neighbour && h.Reason != Keep:
		return fmt.Errorf("%w: %q with reason %d", ErrMalformed, h.Model, h.Reason)
	}
	for i, n := range h.Nodes {
		if n == "" || (i > 0 && h.Nodes[i-1] >= n) {
			return fmt.Errorf("%w: %q's nodes are not named, sorted and unique", ErrMalformed, h.Model)
		}
	}
	return nil
}

func rateOK(r float64) bool { return r >= 0 && !math.IsInf(r, 0) && !math.IsNaN(r) }
