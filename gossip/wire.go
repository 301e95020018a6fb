package gossip

import (
	"errors"
	"fmt"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"google.golang.org/protobuf/proto"
)

// wireVersion is the version byte in front of every payload this build
// writes. A reader drops a payload with any other version and counts it.
const wireVersion byte = 1

// maxPayloadBytes bounds a payload a reader decodes (a push/pull snapshot
// of a large cluster is the biggest).
const maxPayloadBytes = 32 << 20

var (
	// errVersion is a payload of a version this build does not read.
	errVersion = errors.New("gossip: unknown payload version")
	// errMalformed is a payload that does not decode.
	errMalformed = errors.New("gossip: malformed payload")
)

// encode writes the version byte and m.
func encode(m proto.Message) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("gossip: encode %T: %w", m, err)
	}
	return append([]byte{wireVersion}, b...), nil
}

// decode reads a payload written by encode into m.
func decode(b []byte, m proto.Message) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty", errMalformed)
	}
	if b[0] != wireVersion {
		return fmt.Errorf("%w %d", errVersion, b[0])
	}
	if len(b) > maxPayloadBytes {
		return fmt.Errorf("%w: %d bytes", errMalformed, len(b))
	}
	if err := proto.Unmarshal(b[1:], m); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}

// decodeMessage reads a broadcast and checks what it carries.
func decodeMessage(b []byte) (*gossippb.Message, error) {
	m := &gossippb.Message{}
	if err := decode(b, m); err != nil {
		return nil, err
	}
	switch body := m.Body.(type) {
	case *gossippb.Message_State:
		return m, checkState(body.State)
	case *gossippb.Message_Catalog:
		return m, checkEntry(body.Catalog)
	default:
		return nil, fmt.Errorf("%w: no body", errMalformed)
	}
}

// decodeSnapshot reads a push/pull snapshot and checks every part.
func decodeSnapshot(b []byte) (*gossippb.Snapshot, error) {
	s := &gossippb.Snapshot{}
	if err := decode(b, s); err != nil {
		return nil, err
	}
	for _, st := range s.States {
		if err := checkState(st); err != nil {
			return nil, err
		}
		if st.Delta {
			return nil, fmt.Errorf("%w: delta state of %q in a snapshot", errMalformed, st.Node)
		}
	}
	for _, e := range s.Catalog {
		if err := checkEntry(e); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// decodeMeta reads a node's memberlist metadata.
func decodeMeta(b []byte) (*gossippb.NodeMeta, error) {
	m := &gossippb.NodeMeta{}
	return m, decode(b, m)
}

// decodeCoordinate reads the coordinate a probe's ack carries.
func decodeCoordinate(b []byte) (*gossippb.Coordinate, error) {
	c := &gossippb.Coordinate{}
	if err := decode(b, c); err != nil {
		return nil, err
	}
	return c, checkCoordinate(c)
}

func checkState(s *gossippb.NodeState) error {
	switch {
	case s == nil:
		return fmt.Errorf("%w: no state", errMalformed)
	case s.Node == "":
		return fmt.Errorf("%w: state without a node name", errMalformed)
	case s.Seq == 0:
		return fmt.Errorf("%w: state of %q with sequence 0", errMalformed, s.Node)
	case s.Delta && s.BaseSeq >= s.Seq:
		return fmt.Errorf("%w: delta of %q from %d to %d", errMalformed, s.Node, s.BaseSeq, s.Seq)
	case !s.Delta && (len(s.Removed) > 0 || len(s.Unstored) > 0):
		return fmt.Errorf("%w: full state of %q with removals", errMalformed, s.Node)
	}
	if s.Coordinate != nil {
		return checkCoordinate(s.Coordinate)
	}
	return nil
}

func checkEntry(e *gossippb.CatalogEntry) error {
	switch {
	case e == nil:
		return fmt.Errorf("%w: no catalog entry", errMalformed)
	case e.Name == "" || e.Version <= 0:
		return fmt.Errorf("%w: catalog entry %q version %d", errMalformed, e.Name, e.Version)
	case e.Stamp == 0 || e.Origin == "":
		return fmt.Errorf("%w: catalog entry %s:%d without stamp or origin", errMalformed, e.Name, e.Version)
	case e.Deleted && e.Record != nil:
		return fmt.Errorf("%w: tombstone %s:%d with a record", errMalformed, e.Name, e.Version)
	case !e.Deleted && (e.Record == nil || e.Record.Name != e.Name || e.Record.Version != e.Version):
		return fmt.Errorf("%w: catalog entry %s:%d without its record", errMalformed, e.Name, e.Version)
	}
	return nil
}
