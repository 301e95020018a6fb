package raftgroup

import (
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// loop is the one goroutine that acts on the group: it forms the group,
// keeps the configuration in step with the region's members (as leader),
// plans, and serves hand-overs. Reads (Hints, Status) never wait on it.
func (g *Group) loop() {
	defer close(g.done)
	reconcile := time.NewTicker(g.cfg.ReconcileInterval)
	defer reconcile.Stop()
	plan := time.NewTicker(g.cfg.PlanInterval)
	defer plan.Stop()
	for {
		select {
		case <-g.stop:
			return
		case leader := <-g.leaderC:
			if leader {
				g.takeOffice()
			}
		case <-reconcile.C:
			g.reconcile()
		case <-plan.C:
			if g.IsLeader() {
				g.plan(false)
			}
		case r := <-g.drainC:
			gen, err := g.serveDrain(r.node)
			r.reply <- drainResult{gen, err}
		}
	}
}

// takeOffice runs when this node becomes leader: once every entry of
// earlier terms has applied, it commits a plan (even an unchanged one, so
// the set names its new leader) and reconciles the configuration.
func (g *Group) takeOffice() {
	g.log.Info("leading the region", zap.Uint64("term", g.raft.CurrentTerm()))
	if err := g.raft.Barrier(g.cfg.ApplyTimeout).Error(); err != nil {
		g.log.Warn("barrier after election", zap.Error(err))
		return
	}
	g.plan(true)
	g.reconcileMembers()
}

// reconcile runs every ReconcileInterval: the leader keeps the
// configuration in step with the members; a node without Raft state tries
// to bootstrap.
func (g *Group) reconcile() {
	switch {
	case g.raft.State() == raft.Leader:
		g.reconcileMembers()
	case g.cfg.BootstrapExpect > 0 && !g.formed && !g.hasState():
		g.maybeBootstrap()
	}
}

// hasState reports whether this node holds any Raft log or snapshot.
func (g *Group) hasState() bool { return g.raft.LastIndex() > 0 }
