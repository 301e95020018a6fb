package hints

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/edgeserve/edgeserve/placement/hints/hintspb"
	"google.golang.org/protobuf/proto"
)

func sampleSet(gen uint64) *Set {
	return &Set{Generation: gen, Leader: "n1", MadeUnixMs: 1700000000000,
		Hints:  []Hint{hint("a", 3, Demand, "n1", "n2"), hint("b", 1, Neighbour, "n3"), hint("c", 1, Keep, "n2")},
		Demand: []Rate{{Model: "a", PerSecond: 15}, {Model: "b", NeighbourPerSecond: 2.5}, {Model: "c", PerSecond: 0.02}}}
}

func setEntry(t testing.TB, s *Set) []byte {
	t.Helper()
	b, err := EncodeSetHints(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func removeEntry(t testing.TB, model string) []byte {
	t.Helper()
	b, err := EncodeRemoveModel(model)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func snapshotBytes(t testing.TB, s *Set) []byte {
	t.Helper()
	b, err := EncodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFSMApply(t *testing.T) {
	var seen []uint64
	f := NewFSM(func(s *Set) { seen = append(seen, s.Generation) })
	if f.Current().Generation != 0 || len(f.Current().Hints) != 0 {
		t.Fatalf("a new FSM holds %+v", f.Current())
	}
	steps := []struct {
		entry []byte
		err   error
		gen   uint64
	}{
		{setEntry(t, sampleSet(1)), nil, 1},
		{setEntry(t, sampleSet(1)), ErrStale, 1}, // replayed plan
		{setEntry(t, sampleSet(5)), ErrStale, 1}, // skips ahead
		{removeEntry(t, "zzz"), nil, 1},          // not hinted: no change
		{removeEntry(t, "a"), nil, 2},
		{[]byte{99, 1}, ErrUnknown, 2},
		{[]byte{byte(SetHintsType), 7}, ErrUnknown, 2},
		{[]byte{byte(SetHintsType), 1, 0xff}, ErrMalformed, 2},
		{setEntry(t, &Set{Generation: 3}), nil, 3},
	}
	for i, s := range steps {
		err := f.Apply(s.entry)
		if !errors.Is(err, s.err) || (s.err == nil) != (err == nil) {
			t.Fatalf("step %d: %v, want %v", i, err, s.err)
		}
		if g := f.Current().Generation; g != s.gen {
			t.Fatalf("step %d: generation %d, want %d", i, g, s.gen)
		}
	}
	if _, ok := f.Current().Hint("a"); ok {
		t.Fatal("the hint of a removed model stayed")
	}
	if st := f.Stats(); st != (Stats{Applied: 4, Stale: 2, Rejected: 3}) {
		t.Fatalf("stats %+v", st)
	}
	if !reflect.DeepEqual(seen, []uint64{1, 2, 3}) {
		t.Fatalf("onChange saw generations %v", seen)
	}
}

func TestRemoveKeepsOtherHints(t *testing.T) {
	f := NewFSM(nil)
	for _, e := range [][]byte{setEntry(t, sampleSet(1)), removeEntry(t, "a")} {
		if err := f.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	want := &Set{Generation: 2, Leader: "n1", MadeUnixMs: 1700000000000,
		Hints:  []Hint{hint("b", 1, Neighbour, "n3"), hint("c", 1, Keep, "n2")},
		Demand: []Rate{{Model: "b", NeighbourPerSecond: 2.5}, {Model: "c", PerSecond: 0.02}}}
	if got := f.Current(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, set := range []*Set{Empty(), sampleSet(7)} {
		f := NewFSM(nil)
		if set.Generation > 0 {
			if err := f.Apply(setEntry(t, &Set{Generation: 1})); err != nil {
				t.Fatal(err)
			}
			set.Generation = 2
			if err := f.Apply(setEntry(t, set)); err != nil {
				t.Fatal(err)
			}
		}
		snap := f.Snapshot()
		// The snapshot is a point in time: later entries do not reach it.
		_ = f.Apply(setEntry(t, &Set{Generation: f.Current().Generation + 1}))
		var buf bytes.Buffer
		if err := snap.Persist(&buf); err != nil {
			t.Fatal(err)
		}
		var changed *Set
		g := NewFSM(func(s *Set) { changed = s })
		if err := g.Restore(&buf); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g.Current(), set) || changed != g.Current() {
			t.Fatalf("restored %+v, want %+v", g.Current(), set)
		}
	}
}

func TestRestoreRejectsBadSnapshot(t *testing.T) {
	f := NewFSM(nil)
	if err := f.Apply(setEntry(t, sampleSet(1))); err != nil {
		t.Fatal(err)
	}
	good := snapshotBytes(t, sampleSet(4))
	for name, b := range map[string][]byte{
		"empty":     {},
		"version":   append([]byte{9}, good[1:]...),
		"truncated": good[:len(good)-3],
		"no set":    {snapshotVersion},
		"bad hint":  snapshotOf(t, &hintspb.HintSet{Hints: []*hintspb.Hint{{Model: "m", Copies: 0, Nodes: []string{"n"}, Reason: 1}}}),
	} {
		if err := f.Restore(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: restored", name)
		}
		if f.Current().Generation != 1 {
			t.Fatalf("%s: a bad snapshot changed the set", name)
		}
	}
}

func snapshotOf(t *testing.T, s *hintspb.HintSet) []byte {
	b, err := proto.Marshal(&hintspb.Snapshot{Set: s})
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{snapshotVersion}, b...)
}

func setHintsOf(t testing.TB, s *hintspb.HintSet) []byte {
	b, err := proto.Marshal(&hintspb.SetHints{Set: s})
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{byte(SetHintsType), 1}, b...)
}

func TestDecodeCommandMalformed(t *testing.T) {
	h := func(model string, copies uint32, reason hintspb.Reason, nodes ...string) *hintspb.Hint {
		return &hintspb.Hint{Model: model, Copies: copies, Nodes: nodes, Reason: reason}
	}
	for name, c := range map[string]struct {
		entry []byte
		err   error
	}{
		"empty":           {nil, ErrMalformed},
		"type only":       {[]byte{byte(SetHintsType)}, ErrMalformed},
		"unknown type":    {[]byte{0, 1}, ErrUnknown},
		"unknown version": {[]byte{byte(RemoveModelType), 2, 0x0a, 1, 'm'}, ErrUnknown},
		"not protobuf":    {[]byte{byte(SetHintsType), 1, 0x0a, 0x05, 1}, ErrMalformed},
		"no set":          {[]byte{byte(SetHintsType), 1}, ErrMalformed},
		"generation 0":    {setHintsOf(t, &hintspb.HintSet{}), ErrMalformed},
		"model unnamed":   {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("", 1, 1, "n")}}), ErrMalformed},
		"zero copies":     {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 0, 1, "n")}}), ErrMalformed},
		"huge copies":     {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 1<<31, 1, "n")}}), ErrMalformed},
		"no nodes":        {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 1, 1)}}), ErrMalformed},
		"nodes > copies":  {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 1, 1, "a", "b")}}), ErrMalformed},
		"nodes unsorted":  {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 2, 1, "b", "a")}}), ErrMalformed},
		"node twice":      {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 2, 1, "a", "a")}}), ErrMalformed},
		"unknown reason":  {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 1, 9, "a")}}), ErrMalformed},
		"model twice":     {setHintsOf(t, &hintspb.HintSet{Generation: 1, Hints: []*hintspb.Hint{h("m", 1, 1, "a"), h("m", 1, 1, "b")}}), ErrMalformed},
		"negative rate":   {setHintsOf(t, &hintspb.HintSet{Generation: 1, Demand: []*hintspb.Demand{{Model: "m", PerSecond: -1}}}), ErrMalformed},
		"remove unnamed":  {[]byte{byte(RemoveModelType), 1}, ErrMalformed},
		"oversize":        {append([]byte{byte(RemoveModelType), 1}, make([]byte, maxEntryBytes)...), ErrMalformed},
		"demand unsorted": {setHintsOf(t, &hintspb.HintSet{Generation: 1, Demand: []*hintspb.Demand{{Model: "b"}, {Model: "a"}}}), ErrMalformed},
	} {
		if _, err := DecodeCommand(c.entry); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
	}
}

func TestEncodeRefusesBadSets(t *testing.T) {
	if _, err := EncodeSetHints(&Set{}); err == nil {
		t.Error("encoded generation 0")
	}
	if _, err := EncodeSetHints(&Set{Generation: 1, Hints: []Hint{hint("m", 1, Demand)}}); err == nil {
		t.Error("encoded a hint without nodes")
	}
	if _, err := EncodeRemoveModel(""); err == nil {
		t.Error("encoded a removal without a model")
	}
}
