package testnode

import (
	"github.com/edgeserve/edgeserve/internal/testutil"
	"net"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/node"
)

// Member is a real node that StartMember started in a cluster.
type Member struct {
	Name, GRPCAddr, GossipAddr string
}

// StartMember runs a real node named name that gossips on ip (a loopback
// address) with short timers, in region at site, joining the gossip
// addresses join; it stops at the end of the test. A pushed model stays
// on the node it was pushed to (one replica).
func StartMember(t testing.TB, name, ip, region, site string, join ...string) *Member {
	t.Helper()
	gossipAddr := testutil.FreeTCPUDPAddr(t, ip)
	addr := start(t, func(c *node.Config) {
		c.Server.GRPCAddr, c.Server.HTTPAddr = net.JoinHostPort(ip, "0"), net.JoinHostPort(ip, "0")
		c.Cluster.Name, c.Cluster.Region, c.Cluster.Site = name, region, site
		c.Cluster.GossipAddr, c.Cluster.Join = gossipAddr, join
		c.Cluster.RaftAddr = net.JoinHostPort(ip, "0") // the region's Raft group, on a free port
		c.Cluster.PublishInterval = 20 * time.Millisecond
		c.Cluster.Replicas = 1
	}, func(d *node.Deps) { d.GossipTune = fastGossip })
	return &Member{Name: name, GRPCAddr: addr, GossipAddr: gossipAddr}
}

// fastGossip shortens gossip's timers so that a test's cluster converges
// in well under a second.
func fastGossip(g *gossip.Config) {
	g.Profile, g.ProbeInterval, g.GossipInterval, g.PushPullInterval = "local", 200*time.Millisecond, 20*time.Millisecond, time.Second
	g.JoinRetryInterval, g.StateInterval = 50*time.Millisecond, 50*time.Millisecond
}
