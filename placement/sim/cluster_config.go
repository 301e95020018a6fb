package sim

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
)

// ClusterContender is one way of running the cluster that RunCluster
// compares.
type ClusterContender string

const (
	// Full is the whole system: every node runs its policy in the serving
	// form, its router (placement/route) forwarding a miss to a peer when
	// that is predicted cheaper or the load would evict a model in use,
	// and the hint planner of each region placing models.
	Full ClusterContender = "full"
	// Forwarding is Full without hints.
	Forwarding ClusterContender = "forward"
	// Alone is every node on its own: no forwarding, no hints.
	Alone ClusterContender = "alone"
	// ModelMesh places copies globally by demand, as ModelMesh does: a
	// miss loads the model on the node with the most free memory, a
	// request goes to the copy with the shortest queue wherever it is (no
	// RTT awareness), and a model gets another copy when every copy is
	// busy. Nodes evict least recently used models.
	ModelMesh ClusterContender = "modelmesh"
	// Oracle has every model loaded on every node (memory unbounded).
	Oracle ClusterContender = "oracle"
)

// ClusterContenders lists every contender in report order.
func ClusterContenders() []ClusterContender {
	return []ClusterContender{Full, Forwarding, Alone, ModelMesh, Oracle}
}

// ClusterConfig says how RunCluster replays a workload on a cluster.
type ClusterConfig struct {
	Topology *Topology
	// NodeBudgetBytes is each node's memory for loaded models (the
	// oracle's is unbounded).
	NodeBudgetBytes int64
	// Policy is the registered policy each node runs, in its serving form
	// (policy.NewServing), as the node does. ModelMesh's nodes run LRU.
	Policy string
	// LoadSlots are the loads a node runs at once (the cache's
	// MaxConcurrentLoads); RunSlots the requests it runs at once.
	LoadSlots, RunSlots int
	// HotWindow is the router's rule for declining a load: one that would
	// evict a model used within it (node/route.go).
	HotWindow time.Duration
	// MaxPeers bounds the peers a routing decision ranks: the nearest
	// that have the model loaded, and the nearest with room for it.
	MaxPeers int
	// FetchBytesPerSecond is the speed of moving a model's bytes between
	// nodes (the node's own assumption, 100 MiB/s).
	FetchBytesPerSecond float64
	// Replicas is how many nodes store each model's bytes at the start
	// (in different sites where there are several); a node that loads a
	// model it does not store fetches the bytes from the nearest that
	// does, and keeps them.
	Replicas int
	// Planner makes the full system's hints every HintInterval (the Raft
	// leader's PlanInterval); a hinted model's policy weight is
	// HintWeight. The rates the nodes gossip for it are smoothed
	// exponentially with a half-life of RateHalfLife, as node/rates.go
	// smooths them (0: each interval's own rate).
	Planner      HintPlanner
	HintInterval time.Duration
	HintWeight   float64
	RateHalfLife time.Duration
	// MeshCopyQueue: ModelMesh adds a copy of a model when every copy has
	// at least this many requests running or queued.
	MeshCopyQueue int
	// DeclineCap, when positive, is a variant of the router's rule for a
	// declined load (not what the node runs): the load here is taken
	// after all when the cheapest forward is predicted to cost more than
	// DeclineCap times it. Zero forwards a declined load whatever the
	// forward costs, as route.Choose ranks it.
	DeclineCap float64
	// PreloadEvicts is a variant of following hints (not what the node
	// does): a node short of free memory for a hinted model it lacks
	// makes the room by evicting idle models (no request running or
	// waiting for them there) that are not hinted to it, as the policy
	// chooses. Off, a preload evicts only models that are not hinted and
	// were not used within HotWindow (the node's rule).
	PreloadEvicts bool
	// GossipDelay, when positive, makes peers' state reach the router
	// late, as gossip does: the nodes publish their state every
	// GossipDelay and a round arrives one GossipDelay later, so a router
	// sees each peer as it was at the last multiple of GossipDelay at
	// least GossipDelay ago (its copies ready by then, its free memory
	// and its wait for a run slot then). Zero: as they are.
	GossipDelay time.Duration
	// HintCommitDelay is how long after a plan its hints take effect at
	// the nodes (the Raft commit and the apply); less than HintInterval.
	HintCommitDelay time.Duration
	// Warmup is the start of the trace whose requests are replayed but
	// not counted in the result (the caches start empty; the oracle's
	// are full).
	Warmup time.Duration
	// Seed places the model bytes.
	Seed uint64
	// Observe, when set, is called with every request's latency (from
	// its client and back) and how it was served.
	Observe func(request int, latency time.Duration, how Served)
}

// Served is how a request was served.
type Served uint8

const (
	// ServedHit: by the node it reached, from a loaded (or loading) copy.
	ServedHit Served = iota
	// ServedLoad: by the node it reached, after loading the model.
	ServedLoad
	// ServedForward: by another node.
	ServedForward
)

func (s Served) String() string {
	return [...]string{"hit", "load", "forward"}[s]
}

// Defaults of the node that the replay copies: its Raft leader plans
// every 10 s (raftgroup.DefaultConfig's PlanInterval), a hinted model
// weighs 1 in its policy (node/placement_group.go's hintWeight), and its
// gossiped rates have a half-life of 30 s (node/rates.go).
const (
	NodePlanInterval = 10 * time.Second
	NodeHintWeight   = 1
	NodeRateHalfLife = 30 * time.Second
)

// DefaultClusterConfig: EdgeServe's policy, 2 load slots and 8 run slots
// per node, the node's 30 s hot window, 8 peers ranked, 100 MiB/s, 2
// replicas, the hint planner of placement/hints with its default rules
// (HintsPlanner) every 10 s at weight 1 on rates with a 30 s half-life,
// ModelMesh copying at a queue of 4, seed 1.
func DefaultClusterConfig(topo *Topology, nodeBudgetBytes int64) ClusterConfig {
	planner, err := NewHintsPlanner(hints.DefaultPlanConfig())
	if err != nil {
		panic(err) // the default rules are valid
	}
	return ClusterConfig{Topology: topo, NodeBudgetBytes: nodeBudgetBytes, Policy: "edgeserve",
		LoadSlots: 2, RunSlots: 8, HotWindow: NodeHotWindow, MaxPeers: 8, FetchBytesPerSecond: 100 << 20,
		Replicas: 2, Planner: planner, HintInterval: NodePlanInterval, HintWeight: NodeHintWeight,
		RateHalfLife: NodeRateHalfLife, MeshCopyQueue: 4, Seed: 1}
}

func (c *ClusterConfig) validate() error {
	if c.Topology == nil {
		return fmt.Errorf("%w: no topology", ErrTopology)
	}
	if err := c.Topology.Validate(); err != nil {
		return err
	}
	switch {
	case c.NodeBudgetBytes < 0:
		return fmt.Errorf("sim: cluster: negative node budget %d", c.NodeBudgetBytes)
	case c.LoadSlots < 1 || c.RunSlots < 1 || c.MaxPeers < 1 || c.Replicas < 1 || c.MeshCopyQueue < 1:
		return fmt.Errorf("sim: cluster: load slots, run slots, peers, replicas and ModelMesh's copy queue must be positive")
	case !(c.FetchBytesPerSecond > 0):
		return fmt.Errorf("sim: cluster: fetch speed %v is not positive", c.FetchBytesPerSecond)
	case c.HotWindow < 0 || c.HintInterval <= 0 || c.Warmup < 0 || c.RateHalfLife < 0 || !(c.DeclineCap >= 0):
		return fmt.Errorf("sim: cluster: negative hot window, warmup, rate half-life or decline cap, or no hint interval")
	case c.GossipDelay < 0 || c.HintCommitDelay < 0 || c.HintCommitDelay >= c.HintInterval:
		return fmt.Errorf("sim: cluster: gossip delay %v and hint commit delay %v must not be negative, and the commit delay must be shorter than the hint interval %v",
			c.GossipDelay, c.HintCommitDelay, c.HintInterval)
	case !(c.HintWeight >= 0):
		return fmt.Errorf("sim: cluster: hint weight %v is negative", c.HintWeight)
	case c.Planner == nil:
		return fmt.Errorf("sim: cluster: no hint planner (NoHints plans none)")
	}
	return nil
}
