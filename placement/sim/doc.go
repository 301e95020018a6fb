// Package sim replays a request trace against a cache replacement policy
// and reports what the misses cost.
//
// The model of a node is deliberately small: a memory budget of
// CapacityBytes, a set of resident models, and one load per miss. A request
// for a resident, ready model is a hit and costs nothing extra. A request
// for a model that is resident but still loading (after an earlier miss or
// a preload) waits only the remaining load time, a "delayed hit" in the
// sense of Atre et al. (SIGCOMM 2020). A miss asks the policy for victims
// among the ready models (a loading model cannot be evicted), starts the
// load, and the request waits the model's whole LoadTime. Loads run in
// parallel: the simulator does not queue them. A model larger than the
// whole budget, or one for which the policy finds no room (the victims it
// did choose stay evicted), is served from a transient load that is not
// cached; the load is still counted, and a request that arrives during a
// transient load loads again, as in the offline references.
//
// A transient load is the node forwarding the request instead of caching
// the model (DESIGN.md's miss path: load, or forward): it is served
// elsewhere, by a peer or backend that has to load the model cold, so it
// costs one LoadTime and takes no room from this node's budget. Policies
// with admission control (edgeserve) decline to cache a model that would
// save less than what it displaces, and the offline schedules bypass in
// the same way, so both are costed alike.
//
// Options.Forward replays a node that forwards instead (forward.go): a
// request for a model it does not load goes to a peer holding a loaded
// copy, a round trip away, when placement/route's cost model (the code
// the node runs) ranks that first. Online names the forms: the policy's
// own (transient loads), the serving form that must cache what it serves
// (policy.NewServing), the policy's own forwarding what it declines, and
// the node's: the serving form, its router forwarding a load that would
// evict a model in use (node/route.go's hot rule).
//
// The other reading, where every request must be served from this node's
// memory and a load waits for loads in flight to free it, was tried: on
// the Azure sample the waits chain without bound for every policy and
// every offline schedule (docs/policies.md). A node that cannot forward
// is simply overloaded there.
//
// Options.InstantLoads switches to the classic accounting of caching
// papers, in which a load completes as it starts: a miss costs its load
// time and nothing else, with no delayed hits and no loading models that
// cannot be evicted. The published policies were designed for it; the
// default charges what a node sees.
//
// RunCluster replays a trace on a whole cluster instead (cluster*.go):
// a Topology of regions, sites and nodes with the round trips between
// sites (a plane with jitter, or a matrix file), requests from sites
// (SpreadSites gives the Azure sample's functions home regions), and per
// node the policy, the memory accounting above (delayed hits, and loads
// shared while in progress), load slots and run slots, and the router
// (placement/route, fed as node/route.go feeds it). The contenders are the
// full system (with placement/hints' planner per region, HintsPlanner, on
// the rates the nodes gossip), forwarding without hints,
// each node alone, a ModelMesh-like global placement, and an oracle with
// every model on every node. Its state is per model and node; latencies go
// to a fixed-size histogram, so memory does not grow with the trace.
// Figures are in docs/cluster-sim.md.
//
// Run keeps per-model state in dense slices indexed by the model's number
// and does not allocate per request, so that whole-day traces replay in
// seconds.
package sim
