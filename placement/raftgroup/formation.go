package raftgroup

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/raftgroup/rpcpb"
	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// How a region bootstraps without a central server (the event order):
//
//  1. Every node without Raft state computes its candidate: the
//     BootstrapExpect lowest-named alive members it discovers. A node not
//     in its own candidate never bootstraps; it waits to be added.
//  2. A node in its candidate, once the candidate has held for
//     BootstrapWait, promises it to itself and asks every other member of
//     it for the same promise. A member promises only its own candidate,
//     and only one at a time (for PromiseTTL, renewed on every ask).
//  3. With every promise in hand it bootstraps. Each member of a fully
//     promised configuration bootstraps that same configuration, which
//     raft allows; two different configurations cannot both be fully
//     promised, as they share a member (two sets of the N lowest names of
//     one region's views overlap unless the views are disjoint).
//  4. A member that answers with Raft state of another configuration
//     means the region formed already: the asker stops trying and waits
//     for the leader to add it.
//
// A promise lapses after PromiseTTL so that a configuration one of whose
// members died before bootstrapping does not block the region forever;
// an asker that took longer than PromiseTTL/2 to collect its promises
// starts again rather than bootstrap on promises that may have lapsed.

// maybeBootstrap runs one round of the above.
func (g *Group) maybeBootstrap() {
	now := g.now()
	s := g.lowestN()
	if !slices.ContainsFunc(s, func(sv raft.Server) bool { return string(sv.ID) == g.cfg.Name }) {
		g.candidate = nil
		return
	}
	if !sameServers(s, g.candidate) {
		g.candidate, g.candidateSince = s, now
	}
	if now.Sub(g.candidateSince) < g.cfg.BootstrapWait || !g.promise(s, s, now) {
		return
	}
	if !g.collectPromises(s) || g.now().Sub(now) > g.cfg.PromiseTTL/2 {
		return
	}
	err := g.raft.BootstrapCluster(raft.Configuration{Servers: s}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		g.log.Warn("bootstrap", zap.Error(err))
		return
	}
	g.formed = true
	g.metrics.bootstraps.Inc()
	g.log.Info("bootstrapped the region's group", zap.Strings("servers", serverNames(s)))
}

// collectPromises asks every other member of s to promise it.
func (g *Group) collectPromises(s []raft.Server) bool {
	req := &rpcpb.Request{Body: &rpcpb.Request_Promise{Promise: &rpcpb.Promise{From: g.cfg.Name, Servers: serversPB(s)}}}
	for _, sv := range s {
		if string(sv.ID) == g.cfg.Name {
			continue
		}
		resp, err := g.call(context.Background(), string(sv.Address), req, g.cfg.RPCTimeout)
		if err != nil {
			g.log.Debug("bootstrap promise", zap.String("member", string(sv.ID)), zap.Error(err))
			return false
		}
		p := resp.GetPromise()
		switch {
		case p == nil:
			return false
		case p.HasState && sameServers(serversFromPB(p.Servers), s):
			// It bootstrapped this configuration already.
		case p.HasState:
			g.formed = true
			g.log.Info("the region's group exists; waiting to be added", zap.String("member", string(sv.ID)))
			return false
		case !p.Agree:
			return false
		}
	}
	return true
}

// answerPromise is a member's answer to an asker.
func (g *Group) answerPromise(p *rpcpb.Promise) *rpcpb.PromiseReply {
	if g.hasState() {
		return &rpcpb.PromiseReply{HasState: true, Servers: serversPB(g.configuration())}
	}
	own := g.lowestN()
	asked := serversFromPB(p.Servers)
	if g.promise(asked, own, g.now()) {
		return &rpcpb.PromiseReply{Agree: true}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.promised != nil {
		own = g.promised
	}
	return &rpcpb.PromiseReply{Servers: serversPB(own)}
}

// promise binds this node to s when s is its own candidate and it has
// promised no other configuration within PromiseTTL.
func (g *Group) promise(s, own []raft.Server, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.promised != nil && now.Sub(g.promisedAt) < g.cfg.PromiseTTL && !sameServers(g.promised, s) {
		return false
	}
	if len(s) == 0 || !sameServers(own, s) {
		return false
	}
	g.promised, g.promisedAt = s, now
	return true
}

// lowestN is the configuration this node would bootstrap: the
// BootstrapExpect lowest-named alive members with a Raft address; nil
// while fewer are known.
func (g *Group) lowestN() []raft.Server {
	n := g.cfg.BootstrapExpect
	alive := g.aliveMembers()
	if n == 0 || len(alive) < n {
		return nil
	}
	out := make([]raft.Server, 0, n)
	for _, m := range alive[:n] {
		out = append(out, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.Name), Address: raft.ServerAddress(m.RaftAddr)})
	}
	return out
}

// aliveMembers are the alive members with a Raft address, one per name,
// sorted by name.
func (g *Group) aliveMembers() []Member {
	var out []Member
	for _, m := range g.deps.Discovery.Members() {
		if m.Health == Alive && m.Name != "" && m.RaftAddr != "" {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	return slices.CompactFunc(out, func(a, b Member) bool { return a.Name == b.Name })
}

// sameServers compares two configurations by IDs and addresses, in any
// order.
func sameServers(a, b []raft.Server) bool {
	key := func(ss []raft.Server) []string {
		out := make([]string, 0, len(ss))
		for _, s := range ss {
			out = append(out, string(s.ID)+"\x00"+string(s.Address))
		}
		slices.Sort(out)
		return out
	}
	return len(a) == len(b) && slices.Equal(key(a), key(b))
}

func serversFromPB(ss []*rpcpb.Server) []raft.Server {
	out := make([]raft.Server, 0, len(ss))
	for _, s := range ss {
		out = append(out, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(s.Name), Address: raft.ServerAddress(s.Addr)})
	}
	return out
}

func serverNames(ss []raft.Server) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, string(s.ID))
	}
	return out
}

// configuration is the latest configuration this node knows; nil if it
// cannot tell.
func (g *Group) configuration() []raft.Server {
	f := g.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	return f.Configuration().Servers
}
