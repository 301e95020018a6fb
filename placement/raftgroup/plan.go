package raftgroup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
	"go.uber.org/zap"
)

// plan (leader only) plans from the Source and commits the new set when
// its hints differ from the current one's, or always when force. It
// returns the generation current afterwards.
func (g *Group) plan(force bool) (uint64, error) {
	prev := g.hfsm.Current()
	in := g.planInput()
	g.passed.Fill(g.cfg.Plan, g.now(), &in)
	next := hints.Plan(g.cfg.Plan, prev, in)
	if !force && next.SameHints(prev) {
		g.metrics.plan("unchanged")
		return prev.Generation, nil
	}
	next.Generation, next.Leader, next.MadeUnixMs = prev.Generation+1, g.cfg.Name, g.now().UnixMilli()
	entry, err := hints.EncodeSetHints(next)
	if err != nil {
		g.metrics.plan("failed")
		return 0, err
	}
	f := g.raft.Apply(entry, g.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		g.metrics.plan("failed")
		g.log.Warn("commit hints", zap.Uint64("generation", next.Generation), zap.Error(err))
		return 0, fmt.Errorf("raftgroup: commit hints: %w", err)
	}
	if err, _ := f.Response().(error); err != nil {
		// A removal raced the plan (ErrStale): the next plan starts from it.
		g.metrics.plan("stale")
		return 0, err
	}
	g.metrics.plan("committed")
	g.log.Debug("committed hints", zap.Uint64("generation", next.Generation), zap.Int("models", len(next.Hints)))
	return next.Generation, nil
}

// planInput is the Source's input less the nodes that are not alive
// members or that handed over.
func (g *Group) planInput() hints.Input {
	in := g.deps.Source.PlanInput()
	alive := map[string]bool{}
	for _, m := range g.deps.Discovery.Members() {
		alive[m.Name] = m.Health == Alive
	}
	nodes := in.Nodes[:0:0]
	for _, n := range in.Nodes {
		if _, drained := g.draining[n.Name]; alive[n.Name] && !drained {
			nodes = append(nodes, n)
		}
	}
	in.Nodes = nodes
	return in
}

// ForgetModel drops a deleted model's hints at once (leader only; a
// follower returns ErrNotLeader, and the leader's next plan drops the
// model anyway once its facts are gone from the Source). It waits for the
// commit up to ApplyTimeout or ctx's deadline, whichever is sooner.
func (g *Group) ForgetModel(ctx context.Context, model string) error {
	if !g.IsLeader() {
		return ErrNotLeader
	}
	entry, err := hints.EncodeRemoveModel(model)
	if err != nil {
		return err
	}
	timeout := g.cfg.ApplyTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	f := g.raft.Apply(entry, timeout)
	if err := f.Error(); err != nil {
		return fmt.Errorf("raftgroup: forget %s: %w", model, err)
	}
	if err, _ := f.Response().(error); err != nil && !errors.Is(err, hints.ErrStale) {
		return err
	}
	return nil
}
