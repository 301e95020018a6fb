package hints

import (
	"bytes"
	"reflect"
	"testing"
)

// The fuzz targets check that a decoder never panics, and that what it
// accepts survives a round trip and applies.

func commandSeeds(f *testing.F) {
	for _, b := range [][]byte{
		setEntry(f, sampleSet(1)),
		setEntry(f, &Set{Generation: 1}),
		removeEntry(f, "a"),
	} {
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(append([]byte{b[0], b[1] + 1}, b[2:]...))
	}
	f.Add([]byte{})
	f.Add([]byte{byte(SetHintsType)})
}

func FuzzDecodeCommand(f *testing.F) {
	commandSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommand(b)
		if err != nil {
			return
		}
		var again []byte
		switch c.Type {
		case SetHintsType:
			again, err = EncodeSetHints(c.Set)
		case RemoveModelType:
			again, err = EncodeRemoveModel(c.Model)
		}
		if err != nil {
			t.Fatalf("an accepted command does not encode: %v", err)
		}
		c2, err := DecodeCommand(again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip: %v; %+v != %+v", err, c, c2)
		}
	})
}

func FuzzFSMApply(f *testing.F) {
	commandSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		fsm := NewFSM(nil)
		_ = fsm.Apply(setEntry(t, sampleSet(1)))
		before := fsm.Stats()
		err := fsm.Apply(b)
		after := fsm.Stats()
		if after.Applied+after.Stale+after.Rejected != before.Applied+before.Stale+before.Rejected+1 {
			t.Fatalf("an entry was not counted once: %+v -> %+v", before, after)
		}
		if err == nil && Check(fsm.Current()) != nil {
			t.Fatalf("the FSM holds a set that breaks the rules after %x", b)
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	for _, s := range []*Set{Empty(), sampleSet(3)} {
		b := snapshotBytes(f, s)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSnapshot(b)
		if err != nil {
			return
		}
		again := snapshotBytes(t, s)
		s2, err := DecodeSnapshot(again)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip: %v", err)
		}
		if err := NewFSM(nil).Restore(bytes.NewReader(again)); err != nil {
			t.Fatal(err)
		}
	})
}
