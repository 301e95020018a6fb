package hints

import (
	"fmt"
	"io"

	"github.com/edgeserve/edgeserve/placement/hints/hintspb"
	"google.golang.org/protobuf/proto"
)

// snapshotVersion is the first byte of a snapshot this build writes and
// reads.
const snapshotVersion byte = 1

// Snapshot is the FSM's set at one point of the log. Taking one is cheap
// (sets are never modified); Persist writes it while Raft goes on applying.
type Snapshot struct{ set *Set }

// Snapshot is a point-in-time view of the FSM.
func (f *FSM) Snapshot() *Snapshot { return &Snapshot{set: f.Current()} }

// Set is the set the snapshot holds.
func (s *Snapshot) Set() *Set { return s.set }

// Persist writes the snapshot: a version byte and a hintspb.Snapshot.
func (s *Snapshot) Persist(w io.Writer) error {
	b, err := EncodeSnapshot(s.set)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("hints: write snapshot: %w", err)
	}
	return nil
}

// EncodeSnapshot is the snapshot form of a set.
func EncodeSnapshot(set *Set) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&hintspb.Snapshot{Set: toProto(set)})
	if err != nil {
		return nil, fmt.Errorf("hints: encode snapshot: %w", err)
	}
	return append([]byte{snapshotVersion}, b...), nil
}

// DecodeSnapshot reads what EncodeSnapshot wrote.
func DecodeSnapshot(b []byte) (*Set, error) {
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("%w: empty snapshot", ErrMalformed)
	case len(b) > maxEntryBytes:
		return nil, fmt.Errorf("%w: snapshot of %d bytes", ErrMalformed, len(b))
	case b[0] != snapshotVersion:
		return nil, fmt.Errorf("%w: snapshot version %d", ErrUnknown, b[0])
	}
	m := &hintspb.Snapshot{}
	if err := proto.Unmarshal(b[1:], m); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrMalformed, err)
	}
	return fromProto(m.Set)
}

// Restore replaces the FSM's set with the snapshot read from r. A
// snapshot that does not decode leaves the set as it was.
func (f *FSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, maxEntryBytes+1))
	if err != nil {
		return fmt.Errorf("hints: read snapshot: %w", err)
	}
	set, err := DecodeSnapshot(b)
	if err != nil {
		f.rejected.Add(1)
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.swap(f.cur.Load(), set)
	return nil
}
