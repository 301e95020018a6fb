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
// A transient load takes no room from the budget here. That flatters a
// policy that declines to cache (admission control): a real node must
// find the memory to run the model, or forward the request to a peer.
// Compare such a policy only with its serving form (policy.NewServing) or
// read its numbers as an upper bound until transient loads are charged.
//
// Run keeps per-model state in dense slices indexed by the model's number
// and does not allocate per request, so that whole-day traces replay in
// seconds.
package sim
