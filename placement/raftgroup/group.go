package raftgroup

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Deps are a group's collaborators.
type Deps struct {
	// Discovery and Source are required.
	Discovery Discovery
	Source    Source
	// Logger defaults to a no-op logger; raft's own lines go to it too,
	// named "raft".
	Logger *zap.Logger
	// Registerer receives the group's metrics; nil: none.
	Registerer prometheus.Registerer
	// ServerTLS and ClientTLS, both or neither, make every connection on
	// the Raft port TLS (mutual when ServerTLS requires client
	// certificates).
	ServerTLS, ClientTLS *tls.Config
	// Network defaults to TCP.
	Network Network
	// Now is the clock (default time.Now).
	Now func() time.Time
}

var (
	// ErrNotLeader is a request only the leader serves, made elsewhere.
	ErrNotLeader = errors.New("raftgroup: not the leader")
	// ErrClosed is a request to a closed group.
	ErrClosed = errors.New("raftgroup: closed")
)

// Group is this node's member of its region's Raft group.
type Group struct {
	cfg     Config
	deps    Deps
	log     *zap.Logger
	now     func() time.Time
	hfsm    *hints.FSM
	subs    *subscribers
	metrics *metrics

	bolt  *raftboltdb.BoltStore
	snaps *raft.FileSnapshotStore
	mux   *mux
	trans *raft.NetworkTransport
	raft  *raft.Raft

	leaderC chan bool     // raft's NotifyCh: raft sends, loop receives
	drainC  chan drainReq // hand-over requests for the loop
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed by the loop when it returns
	once    sync.Once

	// Owned by the loop goroutine.
	candidate      []raft.Server // the configuration this node would bootstrap
	candidateSince time.Time
	formed         bool                 // bootstrapped, or found a group formed by others
	failedSince    map[string]time.Time // servers seen failed or missing, since when
	draining       map[string]time.Time // nodes that handed over, since when
	passed         *hints.Passed        // where the region's demand went, for the plans

	mu         sync.Mutex    // guards promised and promisedAt
	promised   []raft.Server // the configuration promised, sorted by ID
	promisedAt time.Time
}

// New opens the node's Raft state under cfg.DataDir, listens on
// cfg.BindAddr and starts: it recovers the hints of its log and snapshot
// at once, and forms or joins its region's group in the background.
func New(cfg Config, deps Deps) (*Group, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Discovery == nil || deps.Source == nil {
		return nil, errors.New("raftgroup: a discovery and a source are required")
	}
	g := &Group{cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now, subs: newSubscribers(),
		leaderC: make(chan bool, 16), drainC: make(chan drainReq), stop: make(chan struct{}), done: make(chan struct{}),
		failedSince: map[string]time.Time{}, draining: map[string]time.Time{},
		passed: hints.NewPassed()}
	if g.log == nil {
		g.log = zap.NewNop()
	}
	g.log = g.log.With(zap.String("region", cfg.Region))
	if g.now == nil {
		g.now = time.Now
	}
	if g.deps.Network == nil {
		g.deps.Network = TCP{}
	}
	g.hfsm = hints.NewFSM(g.subs.publish)
	g.metrics = newMetrics()
	if err := g.start(); err != nil {
		g.closeStores()
		return nil, err
	}
	if err := g.metrics.register(deps.Registerer, g); err != nil {
		g.raft.Shutdown().Error()
		g.closeStores()
		return nil, err
	}
	go g.loop()
	return g, nil
}

// start opens the stores, the transport and Raft.
func (g *Group) start() error {
	hl := newHclog(g.log, "raft")
	var err error
	if g.bolt, g.snaps, err = openStores(g.cfg.DataDir, hl); err != nil {
		return err
	}
	if g.mux, err = newMux(g.deps.Network, g.cfg.BindAddr, g.cfg.AdvertiseAddr, g.deps.ServerTLS, g.deps.ClientTLS,
		g.cfg.RPCTimeout, g.handleConn, g.log); err != nil {
		return err
	}
	g.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: g.mux, MaxPool: 3, Timeout: 10 * time.Second, Logger: hl.Named("net")})
	g.raft, err = raft.NewRaft(g.raftConfig(hl), fsm{h: g.hfsm, log: g.log}, g.bolt, g.bolt, g.snaps, g.trans)
	if err != nil {
		return fmt.Errorf("raftgroup: start raft: %w", err)
	}
	return nil
}

func (g *Group) raftConfig(hl hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(g.cfg.Name)
	rc.Logger = hl
	rc.NotifyCh = g.leaderC
	// A node removed from the configuration (a hand-over, or a failure
	// that outlasted DeadServerCleanup) keeps running, to be added again.
	rc.ShutdownOnRemove = false
	for _, t := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{&rc.HeartbeatTimeout, g.cfg.HeartbeatTimeout}, {&rc.ElectionTimeout, g.cfg.ElectionTimeout},
		{&rc.LeaderLeaseTimeout, g.cfg.LeaderLeaseTimeout}, {&rc.CommitTimeout, g.cfg.CommitTimeout},
		{&rc.SnapshotInterval, g.cfg.SnapshotInterval}} {
		if t.v > 0 {
			*t.dst = t.v
		}
	}
	if g.cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = g.cfg.SnapshotThreshold
	}
	if g.cfg.TrailingLogs > 0 {
		rc.TrailingLogs = g.cfg.TrailingLogs
	}
	return rc
}

// Addr is the address others reach this node's Raft at.
func (g *Group) Addr() string { return g.mux.Addr().String() }

// Hints are the last hints this node applied: never nil, never to be
// modified, and never waiting on Raft (a region without quorum keeps its
// last hints).
func (g *Group) Hints() *hints.Set { return g.hfsm.Current() }

// Subscribe returns a channel that holds the newest hint set whenever it
// changes (the current one first; a slow reader skips to the newest), and
// a function that ends the subscription. Close closes the channel.
func (g *Group) Subscribe() (<-chan *hints.Set, func()) {
	ch := g.subs.add(g.hfsm.Current())
	return ch, func() { g.subs.remove(ch) }
}

// IsLeader reports whether this node leads its region now.
func (g *Group) IsLeader() bool { return g.raft.State() == raft.Leader }

// Close stops the group: it snapshots the hints it applied (so that a
// restart has them at once, before it reaches a leader), Raft shuts down,
// the port closes, the stores close and subscriptions end. It does not
// hand over; call Handover first.
func (g *Group) Close() error { return g.shutdown(true) }

// shutdown is Close; without snapshot it is a crash as far as the disk
// knows (tests use it to kill a node).
func (g *Group) shutdown(snapshot bool) error {
	var err error
	g.once.Do(func() {
		close(g.stop)
		<-g.done
		if snapshot {
			if err := g.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
				g.log.Warn("snapshot on close", zap.Error(err))
			}
		}
		err = g.raft.Shutdown().Error()
		g.closeStores()
		g.subs.closeAll()
	})
	return err
}

// closeStores closes what start opened, when start failed or the group
// closes.
func (g *Group) closeStores() {
	if g.trans != nil {
		g.trans.Close()
	} else if g.mux != nil {
		g.mux.Close()
	}
	if g.mux != nil {
		g.mux.wait()
	}
	if g.bolt != nil {
		g.bolt.Close()
	}
}

// Leadership is the leader this node knows ("" if none) and the current
// term: the cheap part of Status, for a node that reports it often.
func (g *Group) Leadership() (leader string, term uint64) {
	_, id := g.raft.LeaderWithID()
	return string(id), g.raft.CurrentTerm()
}
