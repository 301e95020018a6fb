// Package gossiptest runs gossip clusters in one test process: N real
// memberlist nodes on 127.0.1.x with short timers, and, when asked, a
// delay matrix between regions applied by gossip's delaying transport
// (there is no netem here). The routing, Raft and end-to-end tests reuse
// it.
package gossiptest

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

// Options shape a test cluster.
type Options struct {
	// Nodes is the cluster's size.
	Nodes int
	// Regions are assigned round-robin: node i is in Regions[i%len].
	// Empty: one region, "r0".
	Regions []string
	// RTT is the round-trip time between two regions (either order);
	// pairs not given, and a region with itself, have none. Each
	// direction of a packet is delayed by half.
	RTT map[[2]string]time.Duration
	// Tune adjusts node i's configuration after the harness's defaults.
	Tune func(i int, c *gossip.Config)
}

// Cluster is a running test cluster.
type Cluster struct {
	t     testing.TB
	opts  Options
	delay gossip.DelayFunc

	mu    sync.Mutex       // guards nodes, cfgs, cut
	nodes []*gossip.Gossip // nil once stopped
	cfgs  []gossip.Config
	cut   map[string]bool // IPs partitioned from every other node
}

// Config is the harness's configuration of node i: loopback address
// 127.0.1.(i+1), a free port, short timers.
func Config(i int, region string) gossip.Config {
	c := gossip.DefaultConfig()
	c.Name = fmt.Sprintf("n%02d", i)
	c.Region, c.Site = region, region
	c.BindAddr = net.JoinHostPort(IP(i), "0")
	c.Profile = "local"
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 400 * time.Millisecond
	c.GossipInterval = 50 * time.Millisecond
	c.PushPullInterval = 2 * time.Second
	c.SuspicionMult = 3
	c.StateInterval = 100 * time.Millisecond
	c.JoinRetryInterval = 100 * time.Millisecond
	c.DeadNodeReclaimTime = 500 * time.Millisecond
	c.ReconnectInterval = 300 * time.Millisecond
	// The lan profile's retransmission (the local profile halves it): a
	// change then reaches every node by gossip, not by a later push/pull.
	c.RetransmitMult = 4
	return c
}

// IP is node i's loopback address.
func IP(i int) string { return fmt.Sprintf("127.0.1.%d", i+1) }

// Start starts opts.Nodes nodes, each joining node 0, and waits until every
// node sees every other alive. The cluster stops when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if len(opts.Regions) == 0 {
		opts.Regions = []string{"r0"}
	}
	c := &Cluster{t: t, opts: opts}
	c.delay = c.regionDelay()
	for i := 0; i < opts.Nodes; i++ {
		c.nodes = append(c.nodes, nil)
		c.cfgs = append(c.cfgs, gossip.Config{})
		c.start(i)
	}
	t.Cleanup(c.StopAll)
	c.WaitAlive(opts.Nodes)
	return c
}

func (c *Cluster) start(i int) {
	c.t.Helper()
	cfg := Config(i, c.opts.Regions[i%len(c.opts.Regions)])
	if i > 0 {
		c.mu.Lock()
		for j, n := range c.nodes {
			if n != nil && j != i {
				cfg.Join = []string{n.Addr()}
				break
			}
		}
		c.mu.Unlock()
	}
	if c.opts.Tune != nil {
		c.opts.Tune(i, &cfg)
	}
	g, err := gossip.New(cfg, gossip.Deps{Delay: c.delay})
	if err != nil {
		c.t.Fatalf("gossiptest: start node %d: %v", i, err)
	}
	c.mu.Lock()
	c.nodes[i], c.cfgs[i] = g, cfg
	c.mu.Unlock()
}

// regionDelay delays packets by half the RTT between the regions of the
// sender's and the receiver's addresses.
func (c *Cluster) regionDelay() gossip.DelayFunc {
	return func(from, to string) time.Duration {
		if c.isCut(from) || c.isCut(to) {
			return gossip.Cut
		}
		a, b := c.regionOf(from), c.regionOf(to)
		if a == "" || b == "" || a == b {
			return 0
		}
		rtt, ok := c.opts.RTT[[2]string{a, b}]
		if !ok {
			rtt = c.opts.RTT[[2]string{b, a}]
		}
		return rtt / 2
	}
}

// Partition cuts node i off from every other node (packets dropped,
// streams refused) until Heal.
func (c *Cluster) Partition(i int) { c.setCut(i, true) }

// Heal undoes Partition.
func (c *Cluster) Heal(i int) { c.setCut(i, false) }

func (c *Cluster) setCut(i int, cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut == nil {
		c.cut = map[string]bool{}
	}
	c.cut[IP(i)] = cut
}

func (c *Cluster) isCut(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut[host]
}

func (c *Cluster) regionOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	var i int
	if _, err := fmt.Sscanf(host, "127.0.1.%d", &i); err != nil || i < 1 {
		return ""
	}
	return c.opts.Regions[(i-1)%len(c.opts.Regions)]
}

// Node is node i (nil while stopped).
func (c *Cluster) Node(i int) *gossip.Gossip {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Len is the number of node slots.
func (c *Cluster) Len() int { return len(c.nodes) }

// Region is node i's region.
func (c *Cluster) Region(i int) string { return c.opts.Regions[i%len(c.opts.Regions)] }

// Kill stops node i without a goodbye, as a crash would.
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	g := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if g != nil {
		g.Shutdown()
	}
}

// Leave stops node i gracefully.
func (c *Cluster) Leave(i int) {
	c.mu.Lock()
	g := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if g != nil {
		g.Leave(time.Second)
	}
}

// Restart starts node i again (same name and address, a new port).
func (c *Cluster) Restart(i int) *gossip.Gossip {
	c.t.Helper()
	c.start(i)
	return c.Node(i)
}

// StopAll stops every node.
func (c *Cluster) StopAll() {
	for i := range c.nodes {
		c.Kill(i)
	}
}

// Running are the nodes not stopped.
func (c *Cluster) Running() []*gossip.Gossip {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*gossip.Gossip
	for _, n := range c.nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// WaitAlive waits until every running node sees n members alive.
func (c *Cluster) WaitAlive(n int) {
	c.t.Helper()
	testutil.Eventually(c.t, fmt.Sprintf("every node sees %d alive", n), func() bool {
		for _, g := range c.Running() {
			alive := 0
			for _, m := range g.Members() {
				if m.Health == gossip.Alive {
					alive++
				}
			}
			if alive != n {
				return false
			}
		}
		return true
	})
}
