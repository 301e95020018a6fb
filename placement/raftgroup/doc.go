// Package raftgroup runs one Raft group per region (hashicorp/raft, with
// raft-boltdb for the log and stable store and a file snapshot store) and
// drives the region's placement hints (package hints) through it.
//
// Formation needs no central server. A node learns its region's members
// from Discovery (gossip). With BootstrapExpect N, once a node has seen the
// same N lowest-named alive members for BootstrapWait, and it is one of
// them, it asks each of the others to promise that configuration (a
// member promises one configuration at a time, for PromiseTTL, and only
// the one it would propose itself); with every promise in hand it
// bootstraps. Members that bootstrap bootstrap the same configuration, so
// a simultaneous start bootstraps once; a member whose view differs (it
// saw a lower-named node the others did not) gets no promises, and a
// member that finds another already holding Raft state gives up and waits
// to be added. The leader adds the other alive members as voters up to
// MaxVoters, then as non-voters (promoting them when a voter goes),
// removes members that leave at once and failed ones after
// DeadServerCleanup, as Consul's autopilot does.
//
// The leader plans every PlanInterval from the Source's demand and
// capacity and commits a new hint set only when the hints changed (and
// once on taking office). Every node reads the last applied set without
// waiting on Raft, so a region without quorum keeps its last hints. Before
// a node stops, Handover asks the leader to plan without it and to remove
// it from the configuration.
//
// The group's own requests (bootstrap promises, hand-overs) share the Raft
// port: a connection that starts with the group's marker byte is the
// group's, any other is Raft's. With TLS configured, every connection is
// TLS first. See docs/raft.md.
package raftgroup
