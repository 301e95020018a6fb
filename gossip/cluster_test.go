package gossip_test

import (
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/edgeserve/edgeserve/gossip/gossiptest"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

// seesLoaded reports whether every running node sees node's loaded set as want.
func seesLoaded(c *gossiptest.Cluster, node string, want []string) bool {
	for _, g := range c.Running() {
		if g.Name() == node {
			continue
		}
		m, ok := member(g, node)
		if !ok || m.State == nil || m.State.LoadedBehind || !slices.Equal(m.State.Loaded, want) {
			return false
		}
	}
	return true
}

func member(g *gossip.Gossip, name string) (gossip.Member, bool) {
	for _, m := range g.Members() {
		if m.Name == name {
			return m, true
		}
	}
	return gossip.Member{}, false
}

func TestStateReachesEveryNode(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 5, Regions: []string{"eu", "us"}})
	n0 := c.Node(0)
	n0.SetLocal(gossip.Local{Loaded: []string{"resnet50:1", "squeezenet:2"}, MemoryBudgetBytes: 1 << 30,
		MemoryHeadroomBytes: 1 << 29, GPUs: []gossip.GPU{{Index: 0, FreeBytes: 7, TotalBytes: 8}}, QueueDepth: 3,
		Rates: map[string]float64{"resnet50:1": 4, "squeezenet:2": 9}})
	testutil.Eventually(t, "every node sees n00's models", func() bool {
		return seesLoaded(c, "n00", []string{"resnet50:1", "squeezenet:2"})
	})
	testutil.Eventually(t, "n00's figures reach n03", func() bool {
		m, _ := member(c.Node(3), "n00")
		return m.State != nil && m.State.QueueDepth == 3 && m.State.MemoryHeadroomBytes == 1<<29
	})
	m, _ := member(c.Node(3), "n00")
	if m.Region != "eu" || m.Site != "eu" || len(m.State.GPUs) != 1 || m.State.GPUs[0].FreeBytes != 7 {
		t.Fatalf("n03 sees n00 as %+v", m)
	}
	if len(m.State.Rates) != 2 || m.State.Rates[0].Model != "squeezenet:2" {
		t.Fatalf("rates %+v: want the highest first", m.State.Rates)
	}
	h := c.Node(4).Holders("resnet50:1")
	if len(h) != 1 || h[0].Name != "n00" {
		t.Fatalf("holders of resnet50:1 at n04: %+v", h)
	}
	if h := c.Node(0).Holders("resnet50:1"); len(h) != 0 {
		t.Fatalf("a node is not its own holder: %+v", h)
	}
	n0.SetLocal(gossip.Local{Loaded: []string{"squeezenet:2"}})
	testutil.Eventually(t, "the unload reaches every node", func() bool {
		return seesLoaded(c, "n00", []string{"squeezenet:2"})
	})
}

func TestLargeLoadedSetSpreadsByDeltasAndPushPull(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 4})
	var many []string
	for i := range 300 {
		many = append(many, "model-with-a-longish-name-"+string(rune('a'+i%26))+"-"+time.Duration(i).String()+":1")
	}
	slices.Sort(many)
	c.Node(1).SetLocal(gossip.Local{Loaded: many})
	testutil.Eventually(t, "300 loaded models reach every node", func() bool { return seesLoaded(c, "n01", many) })
	next := append(slices.Clone(many[1:]), "zz-new:1")
	c.Node(1).SetLocal(gossip.Local{Loaded: next})
	testutil.Eventually(t, "a one-model change on top of 300 reaches every node", func() bool { return seesLoaded(c, "n01", next) })
}

func TestLoadingSetSpreadsAndClears(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 3})
	var many []string // a loaded set large enough that changes go as deltas
	for i := range 200 {
		many = append(many, "model-with-a-longish-name-"+time.Duration(i).String()+":1")
	}
	slices.Sort(many)
	sees := func(model string, loading bool) func() bool {
		return func() bool {
			for _, g := range c.Running() {
				if m, ok := member(g, "n01"); g.Name() != "n01" && (!ok || m.IsLoading(model) != loading) {
					return false
				}
			}
			return true
		}
	}
	c.Node(1).SetLocal(gossip.Local{Loaded: many})
	testutil.Eventually(t, "the loaded set spreads", func() bool { return seesLoaded(c, "n01", many) })
	c.Node(1).SetLocal(gossip.Local{Loaded: many, Loading: []string{"resnet50:1", "bert:2"}})
	testutil.Eventually(t, "every node sees n01 loading resnet50:1", sees("resnet50:1", true))
	testutil.Eventually(t, "every node sees n01 loading bert:2", sees("bert:2", true))
	if m, _ := member(c.Node(0), "n01"); m.IsLoading("other:1") || m.Has("resnet50:1") {
		t.Fatalf("n00 sees n01 as %v loading, %d loaded: other:1 is not loading, resnet50:1 not loaded", m.State.Loading, len(m.State.Loaded))
	}
	done := append(slices.Clone(many), "resnet50:1")
	slices.Sort(done)
	c.Node(1).SetLocal(gossip.Local{Loaded: done, Loading: []string{"bert:2"}})
	testutil.Eventually(t, "resnet50:1 is seen loaded, not loading", func() bool {
		return seesLoaded(c, "n01", done) && sees("resnet50:1", false)() && sees("bert:2", true)()
	})
	c.Node(1).SetLocal(gossip.Local{Loaded: done})
	testutil.Eventually(t, "a failed load clears", sees("bert:2", false))
}

func TestFailedNodeIsDroppedAndRejoinsFresh(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 4})
	c.Node(2).SetLocal(gossip.Local{Loaded: []string{"vgg16:1"}})
	testutil.Eventually(t, "n02's model is seen", func() bool { return seesLoaded(c, "n02", []string{"vgg16:1"}) })
	c.Kill(2)
	testutil.Eventually(t, "n02 failed everywhere, its model dropped", func() bool {
		for _, g := range c.Running() {
			m, _ := member(g, "n02")
			if m.Health != gossip.Failed || len(g.Holders("vgg16:1")) != 0 {
				return false
			}
		}
		return true
	})
	g := c.Restart(2)
	c.WaitAlive(4)
	// The new run's first state (nothing loaded) replaces the previous
	// run's everywhere: vgg16 does not come back with the node.
	testutil.Eventually(t, "the restarted node is seen with its new run's empty state", func() bool {
		for _, o := range c.Running() {
			if len(o.Holders("vgg16:1")) != 0 {
				return false
			}
		}
		return seesLoaded(c, "n02", []string{})
	})
	g.SetLocal(gossip.Local{Loaded: []string{"densenet:1"}})
	testutil.Eventually(t, "the restarted node's fresh state is seen", func() bool {
		return seesLoaded(c, "n02", []string{"densenet:1"})
	})
}

func TestLeftNodeIsMarkedLeft(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 3})
	c.Leave(1)
	testutil.Eventually(t, "n01 left everywhere", func() bool {
		for _, g := range c.Running() {
			if m, _ := member(g, "n01"); m.Health != gossip.Left {
				return false
			}
		}
		return true
	})
}

func record(name string, version int64) *gossippb.ModelRecord {
	return &gossippb.ModelRecord{Name: name, Version: version, Digest: []byte{1, 2, 3}, SizeBytes: 1234, Task: "image-classification",
		Accuracy: 0.9, Inputs: []*gossippb.TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{1, 3, 224, 224}}}}
}

func TestCatalogSpreadsAndTombstoneWins(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 4})
	created := time.Now().Add(-time.Hour)
	c.Node(0).PutModel(record("resnet50", 1))
	testutil.Eventually(t, "the record is listed everywhere", func() bool {
		for _, g := range c.Running() {
			r, origin, deleted, ok := g.Model("resnet50", 1)
			if !ok || deleted || origin != "n00" || r.Task != "image-classification" || r.Inputs[0].Shape[3] != 224 {
				return false
			}
		}
		return true
	})
	if !c.Node(1).DeleteModel("resnet50", 1) {
		t.Fatal("delete not taken")
	}
	gone := func() bool {
		for _, g := range c.Running() {
			if _, _, deleted, ok := g.Model("resnet50", 1); !ok || !deleted || len(g.Models()) != 0 {
				return false
			}
		}
		return true
	}
	testutil.Eventually(t, "the deletion reaches everywhere", gone)
	// A node that stored the model before the deletion announces it again
	// (as at its start): the older record loses everywhere.
	if c.Node(3).AnnounceModel(record("resnet50", 1), created) {
		t.Fatal("a stale record replaced a tombstone")
	}
	g := c.Restart(3) // a fresh node learns the catalog by push/pull
	c.WaitAlive(4)
	if g.AnnounceModel(record("resnet50", 1), created) {
		// It may announce before its first push/pull; the cluster must still
		// converge on the deletion.
		t.Log("announced before the join's push/pull")
	}
	testutil.Eventually(t, "the tombstone still wins everywhere", gone)
}

// A moderate cluster (8 nodes, three regions, every node with a state of
// a realistic size): one node's change reaches every other node.
// BenchmarkPropagation measures how fast.
func TestChangeReachesEveryNodeOfAModerateCluster(t *testing.T) {
	const n = 8 // small enough to settle under -race on two loaded cores
	c := gossiptest.Start(t, gossiptest.Options{Nodes: n, Regions: []string{"eu", "us", "ap"}})
	for i := range n {
		c.Node(i).SetLocal(typicalLocal(i))
	}
	want := append(slices.Clone(typicalLocal(7).Loaded), "new-model:3")
	slices.Sort(want)
	c.Node(7).SetLocal(typicalLocal(7, "new-model:3"))
	testutil.Eventually(t, "every node sees n07 load new-model:3", func() bool {
		for _, g := range c.Running() {
			if g.Name() != "n07" && !holds(g, "n07", "new-model:3") {
				return false
			}
		}
		return seesLoaded(c, "n07", want)
	})
	c.Node(7).SetLocal(typicalLocal(7))
	testutil.Eventually(t, "every node sees n07 unload it", func() bool {
		for _, g := range c.Running() {
			if len(g.Holders("new-model:3")) != 0 {
				return false
			}
		}
		return true
	})
}

// TestStoredSetSpreads: which model bytes a node stores reaches every
// node, by full state, then by delta on top of a large set, and a model
// no longer stored leaves it.
func TestStoredSetSpreads(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 3})
	var many []string
	for i := range 200 {
		many = append(many, "stored-model-"+time.Duration(i).String()+":1")
	}
	slices.Sort(many)
	seesStored := func(want []string) bool {
		for _, g := range c.Running()[1:] {
			m, ok := member(g, "n00")
			if !ok || m.State == nil || m.State.LoadedBehind || !slices.Equal(m.State.Stored, want) {
				return false
			}
		}
		return true
	}
	c.Node(0).SetLocal(gossip.Local{Stored: []string{"resnet50:1"}})
	testutil.Eventually(t, "n00's stored model reaches every node", func() bool { return seesStored([]string{"resnet50:1"}) })
	if m, _ := member(c.Node(2), "n00"); !m.Stores("resnet50:1") || m.Stores("resnet50:2") || m.Has("resnet50:1") {
		t.Fatalf("n02 sees n00 as %+v", m.State)
	}
	c.Node(0).SetLocal(gossip.Local{Stored: many})
	testutil.Eventually(t, "200 stored models reach every node", func() bool { return seesStored(many) })
	next := append(slices.Clone(many[1:]), "zz-new:1")
	c.Node(0).SetLocal(gossip.Local{Stored: next})
	testutil.Eventually(t, "a one-model change of the stored set reaches every node", func() bool { return seesStored(next) })
}

// TestPartitionedNodeIsFailedThenRejoins: a node cut off by the delay
// transport (gossip.Cut) is declared failed by the others, and it sees them
// failed; after the heal both sides see each other alive again.
func TestPartitionedNodeIsFailedThenRejoins(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 3})
	health := func(g *gossip.Gossip, name string) gossip.Health {
		m, _ := member(g, name)
		return m.Health
	}
	c.Partition(2)
	testutil.Eventually(t, "n00 declares the cut-off n02 failed", func() bool { return health(c.Node(0), "n02") == gossip.Failed })
	testutil.Eventually(t, "n02 declares n00 failed", func() bool { return health(c.Node(2), "n00") == gossip.Failed })
	c.Heal(2)
	testutil.Eventually(t, "after the heal n00 sees n02 alive", func() bool { return health(c.Node(0), "n02") == gossip.Alive })
	testutil.Eventually(t, "after the heal n02 sees n00 alive", func() bool { return health(c.Node(2), "n00") == gossip.Alive })
}

// TestPlacementViewAndRaftAddrSpread: a node's view of its region's
// placement group (leader, term, hint generation, how far it follows) and
// its Raft address reach the other nodes.
func TestPlacementViewAndRaftAddrSpread(t *testing.T) {
	c := gossiptest.Start(t, gossiptest.Options{Nodes: 2, Tune: func(i int, cfg *gossip.Config) {
		cfg.Services.RaftAddr = gossiptest.IP(i) + ":8300"
	}})
	want := gossip.Placement{Leader: "n00", Term: 3, Generation: 7, Hinted: 2, Following: 1}
	c.Node(0).SetLocal(gossip.Local{Placement: &want})
	testutil.Eventually(t, "n01 sees n00's placement view", func() bool {
		m, _ := member(c.Node(1), "n00")
		return m.State != nil && m.State.Placement != nil && *m.State.Placement == want
	})
	if m, _ := member(c.Node(1), "n00"); m.Services.RaftAddr != "127.0.1.1:8300" {
		t.Fatalf("n00's raft address at n01: %q", m.Services.RaftAddr)
	}
}
