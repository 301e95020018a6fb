package gossip

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
)

// bareGossip is a node's state and handlers without memberlist: what the
// handlers of received payloads need.
func bareGossip(name string) *Gossip {
	g := &Gossip{cfg: Config{Name: name}, now: time.Now, states: newStates(), members: newMembers(), subs: &subscribers{},
		cat: newCatalog(time.Hour)}
	g.clock = &hlc{now: time.Now, maxSkew: time.Minute}
	g.coords, _ = newCoords()
	g.queue = &memberlist.TransmitLimitedQueue{NumNodes: func() int { return 1 }, RetransmitMult: 1}
	g.metrics = newMetrics(nil, g)
	return g
}

func mustEncode(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validCoordinate() *gossippb.Coordinate {
	c := toWire(mustCoords().self())
	c.Vec[0], c.Height = 0.002, 0.0001
	return c
}

func mustCoords() *coords {
	c, err := newCoords()
	if err != nil {
		panic(err)
	}
	return c
}

func validState() *gossippb.NodeState {
	return &gossippb.NodeState{Node: "n1", Epoch: 7, Seq: 3, Loaded: []string{"a:1", "b:2"}, MemoryBudgetBytes: 1 << 30,
		Gpus: []*gossippb.GPU{{Index: 0, FreeBytes: 1, TotalBytes: 2}}, Rates: []*gossippb.Rate{{Model: "a:1", PerSecond: 3}},
		Coordinate: validCoordinate()}
}

func validEntry() *gossippb.CatalogEntry {
	return &gossippb.CatalogEntry{Name: "resnet", Version: 2, Stamp: stampAt(time.Now()), Origin: "n1",
		Record: &gossippb.ModelRecord{Name: "resnet", Version: 2, Task: "image-classification"}}
}

// payloadSeeds are valid payloads of every kind, for the decoders' tests and
// fuzz corpora.
func payloadSeeds(t testing.TB) map[string][]byte {
	d := validState()
	d.Delta, d.BaseSeq, d.Removed = true, 2, []string{"c:1"}
	return map[string][]byte{
		"state":     mustEncode(t, &gossippb.Message{Body: &gossippb.Message_State{State: validState()}}),
		"delta":     mustEncode(t, &gossippb.Message{Body: &gossippb.Message_State{State: d}}),
		"catalog":   mustEncode(t, &gossippb.Message{Body: &gossippb.Message_Catalog{Catalog: validEntry()}}),
		"tombstone": mustEncode(t, &gossippb.Message{Body: &gossippb.Message_Catalog{Catalog: &gossippb.CatalogEntry{Name: "x", Version: 1, Stamp: 5, Origin: "o", Deleted: true}}}),
		"snapshot":  mustEncode(t, &gossippb.Snapshot{States: []*gossippb.NodeState{validState()}, Catalog: []*gossippb.CatalogEntry{validEntry()}}),
		"meta":      mustEncode(t, &gossippb.NodeMeta{Region: "eu", Site: "eu-1", GrpcAddr: "127.0.0.1:8001", Protocol: ProtocolVersion}),
		"coord":     mustEncode(t, validCoordinate()),
	}
}

func TestDecodersAcceptValidPayloads(t *testing.T) {
	s := payloadSeeds(t)
	for _, k := range []string{"state", "delta", "catalog", "tombstone"} {
		if _, err := decodeMessage(s[k]); err != nil {
			t.Errorf("message %s: %v", k, err)
		}
	}
	if _, err := decodeSnapshot(s["snapshot"]); err != nil {
		t.Error(err)
	}
	if m, err := decodeMeta(s["meta"]); err != nil || m.Region != "eu" {
		t.Error(m, err)
	}
	if _, err := decodeCoordinate(s["coord"]); err != nil {
		t.Error(err)
	}
}

func TestDecodersRefuseMalformedAndOtherVersions(t *testing.T) {
	s := payloadSeeds(t)
	other := func(b []byte) []byte { return append([]byte{wireVersion + 1}, b[1:]...) }
	msg := func(st *gossippb.NodeState) []byte {
		return mustEncode(t, &gossippb.Message{Body: &gossippb.Message_State{State: st}})
	}
	entry := func(e *gossippb.CatalogEntry) []byte {
		return mustEncode(t, &gossippb.Message{Body: &gossippb.Message_Catalog{Catalog: e}})
	}
	state := func(f func(*gossippb.NodeState)) *gossippb.NodeState { st := validState(); f(st); return st }
	cat := func(f func(*gossippb.CatalogEntry)) *gossippb.CatalogEntry { e := validEntry(); f(e); return e }
	badCoord := validCoordinate()
	badCoord.Vec[1] = math.NaN()
	shortCoord := validCoordinate()
	shortCoord.Vec = shortCoord.Vec[:3]
	deltaInSnapshot := state(func(s *gossippb.NodeState) { s.Delta, s.BaseSeq = true, 1 })

	for _, tc := range []struct {
		name    string
		decode  func([]byte) error
		in      []byte
		version bool // want errVersion, else errMalformed
	}{
		{"message empty", decMsg, nil, false},
		{"message version 0", decMsg, append([]byte{0}, s["state"][1:]...), true},
		{"message version 2", decMsg, other(s["state"]), true},
		{"message garbage", decMsg, []byte{wireVersion, 0xff, 0xff, 0xff}, false},
		{"message truncated", decMsg, s["state"][:len(s["state"])-3], false},
		{"message without body", decMsg, mustEncode(t, &gossippb.Message{}), false},
		{"state without node", decMsg, msg(state(func(s *gossippb.NodeState) { s.Node = "" })), false},
		{"state seq 0", decMsg, msg(state(func(s *gossippb.NodeState) { s.Seq = 0 })), false},
		{"delta base not below seq", decMsg, msg(state(func(s *gossippb.NodeState) { s.Delta, s.BaseSeq = true, 3 })), false},
		{"full state with removals", decMsg, msg(state(func(s *gossippb.NodeState) { s.Removed = []string{"x"} })), false},
		{"state with NaN coordinate", decMsg, msg(state(func(s *gossippb.NodeState) { s.Coordinate = badCoord })), false},
		{"state with 3-d coordinate", decMsg, msg(state(func(s *gossippb.NodeState) { s.Coordinate = shortCoord })), false},
		{"entry without name", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Name = "" })), false},
		{"entry version 0", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Version = 0 })), false},
		{"entry without stamp", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Stamp = 0 })), false},
		{"entry without origin", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Origin = "" })), false},
		{"tombstone with record", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Deleted = true })), false},
		{"record without record", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Record = nil })), false},
		{"record of another model", decMsg, entry(cat(func(e *gossippb.CatalogEntry) { e.Record.Version = 3 })), false},
		{"snapshot version 2", decSnap, other(s["snapshot"]), true},
		{"snapshot garbage", decSnap, []byte{wireVersion, 0x0a, 0x7f}, false},
		{"snapshot with delta", decSnap, mustEncode(t, &gossippb.Snapshot{States: []*gossippb.NodeState{deltaInSnapshot}}), false},
		{"snapshot with bad state", decSnap, mustEncode(t, &gossippb.Snapshot{States: []*gossippb.NodeState{{Node: "x"}}}), false},
		{"snapshot with bad entry", decSnap, mustEncode(t, &gossippb.Snapshot{Catalog: []*gossippb.CatalogEntry{{Name: "x"}}}), false},
		{"meta empty", decMeta, nil, false},
		{"meta version 2", decMeta, other(s["meta"]), true},
		{"meta garbage", decMeta, []byte{wireVersion, 0x0a, 0x10, 'x'}, false},
		{"coordinate version 2", decCoord, other(s["coord"]), true},
		{"coordinate NaN", decCoord, mustEncode(t, badCoord), false},
		{"coordinate 3-d", decCoord, mustEncode(t, shortCoord), false},
		{"coordinate out of range", decCoord, mustEncode(t, &gossippb.Coordinate{Vec: append([]float64{1e300}, make([]float64, dimensionality-1)...)}), false},
		{"coordinate negative height", decCoord, mustEncode(t, &gossippb.Coordinate{Vec: make([]float64, dimensionality), Height: -1}), false},
		{"coordinate infinite height", decCoord, mustEncode(t, &gossippb.Coordinate{Vec: make([]float64, dimensionality), Height: math.Inf(1)}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode(tc.in)
			want := errMalformed
			if tc.version {
				want = errVersion
			}
			if !errors.Is(err, want) {
				t.Fatalf("err %v, want %v", err, want)
			}
		})
	}
}

func decMsg(b []byte) error   { _, err := decodeMessage(b); return err }
func decSnap(b []byte) error  { _, err := decodeSnapshot(b); return err }
func decMeta(b []byte) error  { _, err := decodeMeta(b); return err }
func decCoord(b []byte) error { _, err := decodeCoordinate(b); return err }

func TestBadPayloadsAreIgnoredAndCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := bareGossip("self")
	g.metrics = newMetrics(nil, g)
	reg.MustRegister(g.metrics.payloads)
	s := payloadSeeds(t)
	old := append([]byte{wireVersion + 1}, s["state"][1:]...)

	g.handleMessage([]byte{wireVersion, 0xff})
	g.handleMessage(old)
	g.handleSnapshot(append([]byte{wireVersion + 1}, s["snapshot"][1:]...))
	g.handleSnapshot([]byte{wireVersion, 0x0a, 0x7f})
	eventDelegate{g}.NotifyUpdate(&memberlist.Node{Name: "n1", Meta: []byte{9, 9}})
	pingDelegate{g}.NotifyPingComplete(&memberlist.Node{Name: "n1"}, time.Millisecond, []byte{wireVersion, 0xff})
	if len(g.states.all()) != 0 || len(g.cat.all()) != 0 || g.queue.NumQueued() != 0 {
		t.Fatal("a bad payload changed the node's view or was passed on")
	}
	if _, ok := g.coords.rtt("n1"); ok {
		t.Fatal("a bad coordinate was remembered")
	}
	g.handleMessage(s["state"])
	if len(g.states.all()) != 1 || g.queue.NumQueued() != 1 {
		t.Fatal("a good state was not applied and passed on")
	}

	want := map[[2]string]float64{
		{"message", "malformed"}: 1, {"message", "unknown_version"}: 1,
		{"snapshot", "unknown_version"}: 1, {"snapshot", "malformed"}: 1,
		{"meta", "unknown_version"}: 1, {"coordinate", "malformed"}: 1,
		{"state", "applied"}: 1,
	}
	got := map[[2]string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "edgeserve_gossip_payloads_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var kind, result string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "kind":
					kind = l.GetValue()
				case "result":
					result = l.GetValue()
				}
			}
			got[[2]string{kind, result}] = m.GetCounter().GetValue()
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("edgeserve_gossip_payloads_total%v = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestStaleRecordArrivingAfterTheTombstoneLoses(t *testing.T) {
	g := bareGossip("self")
	now := time.Now()
	rec := &gossippb.CatalogEntry{Name: "m", Version: 1, Stamp: stampAt(now.Add(-time.Minute)), Origin: "z",
		Record: &gossippb.ModelRecord{Name: "m", Version: 1}}
	tomb := &gossippb.CatalogEntry{Name: "m", Version: 1, Stamp: stampAt(now), Origin: "a", Deleted: true}
	g.handleMessage(mustEncode(t, &gossippb.Message{Body: &gossippb.Message_Catalog{Catalog: tomb}}))
	queued := g.queue.NumQueued()
	g.handleMessage(mustEncode(t, &gossippb.Message{Body: &gossippb.Message_Catalog{Catalog: rec}}))
	g.handleSnapshot(mustEncode(t, &gossippb.Snapshot{Catalog: []*gossippb.CatalogEntry{rec}}))
	if _, _, deleted, ok := g.Model("m", 1); !ok || !deleted || len(g.Models()) != 0 {
		t.Fatal("a stale record replaced the tombstone")
	}
	if g.queue.NumQueued() != queued {
		t.Fatal("the stale record was passed on")
	}
	// A catalog stamp far ahead of this clock is refused, not adopted.
	ahead := &gossippb.CatalogEntry{Name: "f", Version: 1, Stamp: stampAt(now.Add(time.Hour)), Origin: "a",
		Record: &gossippb.ModelRecord{Name: "f", Version: 1}}
	if r := g.mergeEntry(ahead); r != "skew" {
		t.Fatalf("an entry an hour ahead: %s, want skew", r)
	}
	if _, _, _, ok := g.Model("f", 1); ok {
		t.Fatal("a skewed entry was merged")
	}
}
