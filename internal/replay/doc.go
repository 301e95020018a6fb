// Package replay sends a request trace to a live EdgeServe cluster as the
// trace's clients would: each request at its time (real or scaled speed),
// to a node of its site, with a bound on the requests in flight, and a
// retry at another node when one fails. It reports what the clients saw:
// the success rate, latency percentiles, how the cluster served each
// request (the edgeserve_route and edgeserve_served_by reply parameters)
// and where.
//
// The replay is open-loop: a request is due at its trace time divided by
// the speed whatever happened to earlier ones, so a slow cluster shows up
// as latency, not as a slower replay. Only when Concurrency requests are in
// flight does the next wait; the report says how far sends fell behind the
// schedule (MaxLagMs). Latency runs from a request's first send to its
// answer, retries included.
//
// A replay only ever connects to the addresses it is given (Config.Nodes):
// a request whose site has no node goes to the given nodes in turn, never
// to a member the cluster knows of.
package replay
