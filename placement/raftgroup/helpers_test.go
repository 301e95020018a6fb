package raftgroup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/hashicorp/raft"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The tests run whole regions in one process on 127.0.0.x with short
// timers. Discovery and the demand source are in-memory stand-ins for
// gossip (the node wires the real ones); the Raft, its bbolt files, the
// snapshots and the TCP (or TLS) connections are real.

// registry is a region's membership as gossip would report it.
type registry struct {
	mu      sync.Mutex // guards members
	members map[string]Member
}

func newRegistry() *registry { return &registry{members: map[string]Member{}} }

func (r *registry) Members() []Member {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Member, 0, len(r.members))
	for _, m := range r.members {
		out = append(out, m)
	}
	return out
}

func (r *registry) set(name, addr string, h Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members[name] = Member{Name: name, RaftAddr: addr, Health: h}
}

// rejoined records that gossip saw the member join again now (a new run).
func (r *registry) rejoined(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[name]
	m.Health, m.Since = Alive, time.Now()
	r.members[name] = m
}

func (r *registry) health(name string, h Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[name]
	m.Health = h
	r.members[name] = m
}

// source is a region's demand and capacity as gossip would report it.
type source struct {
	mu sync.Mutex // guards in
	in hints.Input
}

func (s *source) PlanInput() hints.Input {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.in
	in.Nodes = slices.Clone(in.Nodes)
	return in
}

func (s *source) setInput(in hints.Input) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.in = in
}

// demand is an input where every named node asks for model at rate
// (a model of 10 bytes running 100 ms warm: rate/6 copies at 0.6), with
// room for ten such models each.
func demand(model string, rate float64, nodes ...string) hints.Input {
	in := hints.Input{Models: map[string]hints.Model{model: {SizeBytes: 10, WarmRun: 100 * time.Millisecond, FastLoad: time.Second}}}
	for _, n := range nodes {
		in.Nodes = append(in.Nodes, hints.Node{Name: n, Site: n, BudgetBytes: 125, FreeBytes: 125, Rates: map[string]float64{model: rate / float64(len(nodes))}})
	}
	return in
}

// faultNet is TCP that a test can cut: while cut, the node's dials fail,
// connections to it are closed as they arrive, and the ones it had are
// closed.
type faultNet struct {
	cut   atomic.Bool
	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

func newFaultNet() *faultNet { return &faultNet{conns: map[net.Conn]struct{}{}} }

func (f *faultNet) Listen(addr string) (net.Listener, error) {
	l, err := TCP{}.Listen(addr)
	return &faultListener{Listener: l, f: f}, err
}

func (f *faultNet) Dial(ctx context.Context, addr string) (net.Conn, error) {
	if f.cut.Load() {
		return nil, errors.New("partitioned")
	}
	c, err := TCP{}.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return f.track(c), nil
}

func (f *faultNet) track(c net.Conn) net.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns[c] = struct{}{}
	return c
}

// setCut cuts or heals the node.
func (f *faultNet) setCut(cut bool) {
	f.cut.Store(cut)
	if !cut {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
		delete(f.conns, c)
	}
}

type faultListener struct {
	net.Listener
	f *faultNet
}

func (l *faultListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !l.f.cut.Load() {
			return l.f.track(c), nil
		}
		c.Close()
	}
}

// testNode is one node of a test region; it keeps its directory and
// address across restarts.
type testNode struct {
	name, ip string
	dir      string
	addr     string
	net      *faultNet
	logs     *syncBuffer
	g        *Group
	// disc, when set, is the node's own view of the region.
	disc Discovery
}

// region is a test region: its nodes, membership and demand.
type region struct {
	t      testing.TB
	name   string
	reg    *registry
	src    *source
	nodes  []*testNode
	expect int
	tune   func(*Config)
	deps   func(*Deps)
}

var nextIP atomic.Uint32

// newRegion makes (does not start) n nodes named <name>-1.. on fresh
// loopback addresses.
func newRegion(t testing.TB, name string, n, expect int) *region {
	r := &region{t: t, name: name, reg: newRegistry(), src: &source{}, expect: expect}
	for i := range n {
		ip := nextIP.Add(1)
		r.nodes = append(r.nodes, &testNode{name: fmt.Sprintf("%s-%d", name, i+1), ip: fmt.Sprintf("127.0.%d.%d", 10+ip/200, 1+ip%200),
			dir: t.TempDir(), net: newFaultNet(), logs: &syncBuffer{}})
	}
	t.Cleanup(func() {
		for _, n := range r.nodes {
			if n.g != nil {
				n.g.shutdown(false)
			}
		}
		if t.Failed() {
			for _, n := range r.nodes {
				t.Logf("--- log of %s ---\n%s", n.name, n.logs.String())
			}
		}
	})
	return r
}

func (r *region) names() []string {
	var out []string
	for _, n := range r.nodes {
		out = append(out, n.name)
	}
	return out
}

// testConfig has timers short enough for tests and long enough for nine
// nodes under the race detector on two busy cores.
func testConfig(name, region, dir, bind string, expect int) Config {
	c := DefaultConfig()
	c.Name, c.Region, c.DataDir, c.BindAddr, c.BootstrapExpect = name, region, dir, bind, expect
	c.BootstrapWait = 100 * time.Millisecond
	c.PromiseTTL = 5 * time.Second
	c.ReconcileInterval = 50 * time.Millisecond
	c.PlanInterval = 100 * time.Millisecond
	c.DeadServerCleanup = time.Minute
	c.ApplyTimeout, c.RPCTimeout = 2*time.Second, time.Second
	c.HeartbeatTimeout, c.ElectionTimeout = 400*time.Millisecond, 400*time.Millisecond
	c.LeaderLeaseTimeout, c.CommitTimeout = 200*time.Millisecond, 10*time.Millisecond
	return c
}

// start starts (or restarts) node n and registers it alive.
func (r *region) start(n *testNode) {
	r.t.Helper()
	if err := r.startErr(n); err != nil {
		r.t.Fatal(err)
	}
}

func (r *region) startErr(n *testNode) error {
	bind := n.addr
	if bind == "" {
		bind = n.ip + ":0"
	}
	cfg := testConfig(n.name, r.name, n.dir, bind, r.expect)
	cfg.AdvertiseAddr = n.addr
	if r.tune != nil {
		r.tune(&cfg)
	}
	deps := Deps{Discovery: r.reg, Source: r.src, Logger: bufferLogger(n.logs), Network: n.net}
	if n.disc != nil {
		deps.Discovery = n.disc
	}
	if r.deps != nil {
		r.deps(&deps)
	}
	g, err := New(cfg, deps)
	if err != nil {
		return err
	}
	n.g, n.addr = g, g.Addr()
	r.reg.set(n.name, n.addr, Alive)
	return nil
}

// startTogether registers every node alive on an address reserved for
// it, then starts them all at the same moment.
func (r *region) startTogether() {
	r.t.Helper()
	for _, n := range r.nodes {
		l, err := net.Listen("tcp", n.ip+":0")
		if err != nil {
			r.t.Fatal(err)
		}
		n.addr = l.Addr().String()
		l.Close()
		r.reg.set(n.name, n.addr, Alive)
	}
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, n := range r.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if err := r.startErr(n); err != nil {
				r.t.Error(err)
			}
		}()
	}
	close(gate)
	wg.Wait()
}

func (r *region) startAll() {
	for _, n := range r.nodes {
		r.start(n)
	}
}

// kill stops a node as a crash would: no snapshot, no hand-over.
func (r *region) kill(n *testNode) {
	n.g.shutdown(false)
	n.g = nil
	r.reg.health(n.name, Failed)
}

// leader waits for one leader among the running nodes and returns it.
func (r *region) leader() *testNode {
	r.t.Helper()
	var l *testNode
	testutil.Eventually(r.t, r.name+" to elect a leader", func() bool {
		l = nil
		for _, n := range r.nodes {
			if n.g != nil && n.g.IsLeader() {
				if l != nil {
					return false
				}
				l = n
			}
		}
		return l != nil
	})
	return l
}

// running are the nodes started and not stopped.
func (r *region) running() []*testNode {
	var out []*testNode
	for _, n := range r.nodes {
		if n.g != nil {
			out = append(out, n)
		}
	}
	return out
}

// waitHints waits until every running node applied hints that ok accepts.
func (r *region) waitHints(what string, ok func(*hints.Set) bool) {
	r.t.Helper()
	testutil.Eventually(r.t, r.name+": "+what, func() bool {
		for _, n := range r.running() {
			if !ok(n.g.Hints()) {
				return false
			}
		}
		return true
	})
}

func servers(g *Group) []string {
	var out []string
	for _, s := range g.configuration() {
		out = append(out, string(s.ID))
	}
	slices.Sort(out)
	return out
}

func voterNames(g *Group) (voters, nonvoters []string) {
	for _, s := range g.configuration() {
		if s.Suffrage == raft.Voter {
			voters = append(voters, string(s.ID))
		} else {
			nonvoters = append(nonvoters, string(s.ID))
		}
	}
	slices.Sort(voters)
	slices.Sort(nonvoters)
	return voters, nonvoters
}

// syncBuffer collects a node's log; it is printed when a test fails.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Sync() error { return nil }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func bufferLogger(w *syncBuffer) *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.InfoLevel))
}
