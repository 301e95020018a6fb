package raftgroup

import (
	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// reconcileMembers keeps the configuration in step with the region's
// members (leader only): members that leave, and failed ones after
// DeadServerCleanup, are removed; alive members are added as voters up to
// MaxVoters, then as non-voters; non-voters are promoted when voters go.
func (g *Group) reconcileMembers() {
	servers := g.configuration()
	if servers == nil {
		return
	}
	members := map[string]Member{}
	for _, m := range g.deps.Discovery.Members() {
		members[m.Name] = m
	}
	g.forgetDrained(members)
	in := map[string]raft.Server{}
	voters := 0
	for _, s := range servers {
		if g.removeIfGone(s, members) {
			continue
		}
		in[string(s.ID)] = s
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	for _, m := range g.aliveMembers() {
		if _, drained := g.draining[m.Name]; drained {
			continue
		}
		s, ok := in[m.Name]
		moved := ok && string(s.Address) != m.RaftAddr
		id, addr := raft.ServerID(m.Name), raft.ServerAddress(m.RaftAddr)
		switch {
		case ok && s.Suffrage == raft.Voter && !moved:
		case ok && s.Suffrage == raft.Voter:
			g.change("update_address", m.Name, g.raft.AddVoter(id, addr, 0, g.cfg.ApplyTimeout))
		case voters < g.cfg.MaxVoters:
			if g.change("add_voter", m.Name, g.raft.AddVoter(id, addr, 0, g.cfg.ApplyTimeout)) {
				voters++
			}
		case !ok || moved:
			g.change("add_nonvoter", m.Name, g.raft.AddNonvoter(id, addr, 0, g.cfg.ApplyTimeout))
		}
	}
}

// removeIfGone removes s when its member left, handed over, or failed
// DeadServerCleanup ago; it reports whether s is out.
func (g *Group) removeIfGone(s raft.Server, members map[string]Member) bool {
	name := string(s.ID)
	if name == g.cfg.Name {
		return false
	}
	m, known := members[name]
	_, drained := g.draining[name]
	switch {
	case drained:
		return g.remove("remove_drained", name)
	case known && (m.Health == Leaving || m.Health == Left):
		return g.remove("remove_left", name)
	case known && m.Health == Alive:
		delete(g.failedSince, name)
		return false
	}
	since, seen := g.failedSince[name]
	if !seen {
		g.failedSince[name] = g.now()
		return false
	}
	if g.now().Sub(since) < g.cfg.DeadServerCleanup {
		return false
	}
	return g.remove("remove_dead", name)
}

func (g *Group) remove(op, name string) bool {
	if !g.change(op, name, g.raft.RemoveServer(raft.ServerID(name), 0, g.cfg.ApplyTimeout)) {
		return false
	}
	delete(g.failedSince, name)
	return true
}

// change waits for a configuration change and logs and counts it.
func (g *Group) change(op, name string, f raft.IndexFuture) bool {
	if err := f.Error(); err != nil {
		g.log.Warn("configuration change", zap.String("op", op), zap.String("member", name), zap.Error(err))
		g.metrics.member(op + "_failed")
		return false
	}
	g.log.Info("configuration change", zap.String("op", op), zap.String("member", name))
	g.metrics.member(op)
	return true
}

// forgetDrained ends the drain of nodes that are no longer alive (they
// left; when they come back they are a new run, to be added again), that
// joined again since (a restart quicker than a reconcile interval: the
// leader never saw them gone), or that DrainHold has passed.
func (g *Group) forgetDrained(members map[string]Member) {
	for name, since := range g.draining {
		m, ok := members[name]
		if !ok || m.Health != Alive || m.Since.After(since) || g.now().Sub(since) >= g.cfg.DrainHold {
			delete(g.draining, name)
		}
	}
}
