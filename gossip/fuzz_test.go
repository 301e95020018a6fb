package gossip

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// The fuzz targets check that a decoder never panics, and that what it
// accepts survives a round trip and can be applied.

func addSeeds(f *testing.F, kinds ...string) {
	s := payloadSeeds(f)
	for _, k := range kinds {
		f.Add(s[k])
		f.Add(append([]byte{wireVersion + 1}, s[k][1:]...))
		f.Add(s[k][:len(s[k])/2])
	}
	f.Add([]byte{})
	f.Add([]byte{wireVersion})
}

func roundTrip(t *testing.T, m proto.Message, fresh proto.Message) {
	b, err := encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := decode(b, fresh); err != nil || !proto.Equal(m, fresh) {
		t.Fatalf("round trip: %v; %v != %v", err, m, fresh)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	addSeeds(f, "state", "delta", "catalog", "tombstone")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b)
		if err != nil {
			return
		}
		roundTrip(t, m, m.ProtoReflect().New().Interface())
		bareGossip("self").handleMessage(b)
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	addSeeds(f, "snapshot")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		roundTrip(t, s, s.ProtoReflect().New().Interface())
		bareGossip("self").handleSnapshot(b)
	})
}

func FuzzDecodeMeta(f *testing.F) {
	addSeeds(f, "meta")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		roundTrip(t, m, m.ProtoReflect().New().Interface())
	})
}

func FuzzDecodeCoordinate(f *testing.F) {
	addSeeds(f, "coord")
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCoordinate(b)
		if err != nil {
			return
		}
		roundTrip(t, c, c.ProtoReflect().New().Interface())
		co := mustCoords()
		if d := co.client.DistanceTo(fromWire(c)); d < 0 {
			t.Fatalf("distance %v to an accepted coordinate", d)
		}
	})
}
