package raftgroup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/raftgroup/rpcpb"
	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// errNoLeader is a hand-over tried while the region has no leader.
var errNoLeader = errors.New("raftgroup: no leader")

type drainReq struct {
	node  string
	reply chan drainResult
}

type drainResult struct {
	gen uint64
	err error
}

// Handover moves this node's hinted copies to other nodes and takes it
// out of the configuration, before it stops: the leader plans without it,
// commits, and removes it (a leader first hands leadership to another
// voter). It retries until it succeeds or ctx ends; a node outside the
// configuration has nothing to hand over.
func (g *Group) Handover(ctx context.Context) error {
	var err error
	for {
		if err = g.handoverOnce(ctx); err == nil {
			return nil
		}
		g.log.Debug("hand-over", zap.Error(err))
		select {
		case <-ctx.Done():
			return fmt.Errorf("raftgroup: hand over: %w (last: %w)", ctx.Err(), err)
		case <-g.stop:
			return ErrClosed
		case <-time.After(g.cfg.ReconcileInterval / 4):
		}
	}
}

func (g *Group) handoverOnce(ctx context.Context) error {
	servers := g.configuration()
	self := slices.IndexFunc(servers, func(s raft.Server) bool { return string(s.ID) == g.cfg.Name })
	if self < 0 {
		return nil
	}
	addr, id := g.raft.LeaderWithID()
	switch {
	case id == "":
		return errNoLeader
	case string(id) != g.cfg.Name:
		req := &rpcpb.Request{Body: &rpcpb.Request_Handover{Handover: &rpcpb.Handover{Node: g.cfg.Name}}}
		resp, err := g.call(ctx, string(addr), req, g.cfg.RPCTimeout+g.serveTimeout())
		if err == nil {
			g.log.Info("handed over", zap.String("leader", string(id)), zap.Uint64("generation", resp.GetHandover().GetGeneration()))
		}
		return err
	case voters(servers) == 1:
		// The only voter: plan without this node; there is no one to
		// lead after it.
		_, err := g.drain(g.cfg.Name)
		return err
	}
	if err := g.raft.LeadershipTransfer().Error(); err != nil {
		return fmt.Errorf("raftgroup: transfer leadership: %w", err)
	}
	return errors.New("raftgroup: leadership transferred; asking the new leader")
}

func voters(ss []raft.Server) int {
	n := 0
	for _, s := range ss {
		if s.Suffrage == raft.Voter {
			n++
		}
	}
	return n
}

// drain asks the loop to serve a hand-over of node.
func (g *Group) drain(node string) (uint64, error) {
	r := drainReq{node: node, reply: make(chan drainResult, 1)}
	select {
	case g.drainC <- r:
	case <-g.stop:
		return 0, ErrClosed
	}
	res := <-r.reply
	return res.gen, res.err
}

// serveDrain (loop, leader only) keeps node out of plans, commits hints
// without it and removes it from the configuration.
func (g *Group) serveDrain(node string) (uint64, error) {
	if !g.IsLeader() {
		return 0, ErrNotLeader
	}
	g.draining[node] = g.now()
	gen, err := g.plan(false)
	if err != nil {
		// A removal may have raced the plan: once more from the new state.
		if gen, err = g.plan(false); err != nil {
			return 0, err
		}
	}
	if node != g.cfg.Name && !g.remove("remove_drained", node) {
		return gen, fmt.Errorf("raftgroup: remove %s from the configuration", node)
	}
	return gen, nil
}
