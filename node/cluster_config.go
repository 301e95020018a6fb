package node

import (
	"errors"
	"fmt"
	"github.com/edgeserve/edgeserve/internal/netaddr"
	"net"
	"os"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
)

// ClusterConfig is how the node finds and joins the other nodes. A node
// with neither a region nor a join address is a cluster of one, as before
// the cluster existed.
type ClusterConfig struct {
	// Name is the node's unique name in the cluster (default: host name).
	Name string `yaml:"name"`
	// Region groups the nodes that agree on placement; Site is where the
	// node runs (default: the region).
	Region string `yaml:"region"`
	Site   string `yaml:"site"`
	// GossipAddr is the gossip (memberlist) listen address, TCP and UDP.
	GossipAddr string `yaml:"gossip_addr"`
	// AdvertiseAddr is the host (or host:port) other nodes reach this one
	// at, for gossip and in the service addresses the node publishes;
	// empty: the gossip listen address.
	AdvertiseAddr string `yaml:"advertise_addr"`
	// Join are gossip addresses of nodes already in the cluster.
	Join []string `yaml:"join"`
	// GossipKey is a base64 AES key (16, 24 or 32 bytes) that encrypts
	// gossip, or the path of a keyring file (a JSON array of base64 keys,
	// the first of which encrypts).
	GossipKey string `yaml:"gossip_key"`
	// InsecureCluster allows plain-text gossip beyond loopback.
	InsecureCluster bool `yaml:"insecure_cluster"`
	// GossipProfile is memberlist's base timing: lan or wan.
	GossipProfile string `yaml:"gossip_profile"`
	// PublishInterval is how often the node reads its own state (loaded
	// models, headroom, queue, rates) for gossip.
	PublishInterval time.Duration `yaml:"publish_interval"`
	// LeaveTimeout bounds the goodbye to the cluster at shutdown.
	LeaveTimeout time.Duration `yaml:"leave_timeout"`
	// Secret authenticates node-to-node calls (fetching model bytes,
	// forwarding) when they do not use mutual TLS; every node of the
	// cluster holds the same (default $EDGESERVE_CLUSTER_SECRET). It may be
	// empty only on loopback or with mutual TLS (server.tls_client_ca).
	Secret string `yaml:"secret"`
	// Replicas is how many nodes (this one included) a pushed model must be
	// durable on before the push is acknowledged; other sites are asked
	// first. Fewer live nodes than this store it on all there are.
	Replicas int `yaml:"replicas"`
	// LocalOnly serves every request here (loading, and fetching bytes)
	// rather than forwarding a miss to a peer: for comparisons, and for
	// nodes whose peers must not take their traffic.
	LocalOnly bool `yaml:"local_only"`
	// HedgeAfter is how long a forward may take before the node starts
	// loading the model itself and serves the request with whichever
	// answers first (route "hedge"): 0 is three times the forward's
	// predicted latency, at least minHedge; negative never hedges. A node
	// hedges only when loading the model would evict nothing hot.
	HedgeAfter time.Duration `yaml:"hedge_after"`
	// PeerCAFile is a PEM file of the CAs that sign peers' server
	// certificates, for node-to-node calls over TLS without mutual TLS
	// (default: server.tls_client_ca, else the system's roots).
	PeerCAFile string `yaml:"peer_ca"`
	// TestNetemFile is a test-only network emulation (netem.go): delays
	// and cuts of this node's gossip, and the addresses its peer calls go
	// through. Loopback clusters only.
	TestNetemFile string `yaml:"test_netem"`
	// RaftAddr is where the region's Raft group listens (default: the
	// gossip host, port 8300); BootstrapExpect how many of the region's
	// nodes bootstrap it together (0: this node waits to be added);
	// PlanInterval how often its leader recomputes the hints.
	RaftAddr        string        `yaml:"raft_addr"`
	BootstrapExpect int           `yaml:"bootstrap_expect"`
	PlanInterval    time.Duration `yaml:"plan_interval"`
	// RateHalfLife smooths the request rates the node gossips (the
	// demand its region's leader plans hints from): shorter follows a
	// shift in demand sooner, longer jitters less.
	RateHalfLife time.Duration `yaml:"rate_half_life"`
}

// DefaultClusterConfig gossips on :7946 over the LAN profile, named after
// the host.
func DefaultClusterConfig() ClusterConfig {
	g := gossip.DefaultConfig()
	return ClusterConfig{Name: g.Name, GossipAddr: g.BindAddr, GossipProfile: "lan",
		PublishInterval: 250 * time.Millisecond, LeaveTimeout: 5 * time.Second, Replicas: 2,
		RateHalfLife: 30 * time.Second}
}

// Enabled reports whether the node joins a cluster.
func (c ClusterConfig) Enabled() bool { return c.Region != "" || len(c.Join) > 0 }

func (c ClusterConfig) validate() error {
	if !c.Enabled() {
		return nil
	}
	switch {
	case c.Name == "":
		return errors.New("cluster: name is required (default: the host name)")
	case c.GossipProfile != "lan" && c.GossipProfile != "wan":
		return fmt.Errorf("cluster: gossip_profile %q: want lan or wan", c.GossipProfile)
	case c.PublishInterval <= 0 || c.LeaveTimeout <= 0 || c.RateHalfLife <= 0:
		return errors.New("cluster: publish_interval, leave_timeout and rate_half_life must be positive")
	case c.Replicas < 1:
		return fmt.Errorf("cluster: replicas %d must be at least 1", c.Replicas)
	case c.BootstrapExpect < 0 || c.PlanInterval < 0:
		return fmt.Errorf("cluster: bootstrap_expect %d and plan_interval %v must not be negative", c.BootstrapExpect, c.PlanInterval)
	case c.BootstrapExpect > 0 && c.Region == "":
		return errors.New("cluster: bootstrap_expect needs a region (the Raft group is the region's)")
	case c.TestNetemFile != "" && !netaddr.IsLoopback(c.GossipAddr):
		return fmt.Errorf("cluster: test_netem is for loopback test clusters; gossip address %q is not on loopback", c.GossipAddr)
	}
	if c.Region != "" {
		if _, _, err := c.raftAddrs(); err != nil {
			return err
		}
	}
	_, err := c.gossipConfig(Services{})
	return err
}

// Services are the addresses a node publishes for its other services.
type Services = gossip.Services

// gossipConfig is the gossip package's configuration of this node.
func (c ClusterConfig) gossipConfig(svc Services) (gossip.Config, error) {
	g := gossip.DefaultConfig()
	g.Name, g.Region, g.Site = c.Name, c.Region, c.Site
	g.BindAddr, g.AdvertiseAddr, g.Join = c.GossipAddr, c.AdvertiseAddr, c.Join
	g.Profile, g.Insecure, g.Services = c.GossipProfile, c.InsecureCluster, svc
	keys, err := c.keys()
	if err != nil {
		return g, err
	}
	g.Keys = keys
	if err := g.Validate(); err != nil {
		return g, fmt.Errorf("cluster: %w", err)
	}
	return g, nil
}

// keys reads GossipKey: a keyring file when it names one, else one key.
func (c ClusterConfig) keys() ([][]byte, error) {
	if c.GossipKey == "" {
		return nil, nil
	}
	if fi, err := os.Stat(c.GossipKey); err == nil && fi.Mode().IsRegular() {
		b, err := os.ReadFile(c.GossipKey)
		if err != nil {
			return nil, fmt.Errorf("cluster: gossip keyring: %w", err)
		}
		return gossip.ParseKeyring(b)
	}
	k, err := gossip.ParseKey(c.GossipKey)
	if err != nil {
		return nil, fmt.Errorf("cluster: gossip_key (base64, or a keyring file): %w", err)
	}
	return [][]byte{k}, nil
}

// advertised is the address peers reach a listener at: the listener's
// own address when it is bound to one host, else its port on the
// advertised host (or the gossip host).
func (c ClusterConfig) advertised(lis net.Addr) string {
	host, port, err := net.SplitHostPort(lis.String())
	if err != nil {
		return lis.String()
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return lis.String()
	}
	if h := c.advertiseHost(); h != "" {
		return net.JoinHostPort(h, port)
	}
	return lis.String()
}

// advertiseHost is the host others reach this node at: the advertise
// address's, else the gossip address's, when it is a specific one ("":
// neither is).
func (c ClusterConfig) advertiseHost() string {
	for _, a := range []string{c.AdvertiseAddr, c.GossipAddr} {
		h := a
		if hh, _, err := net.SplitHostPort(a); err == nil {
			h = hh
		}
		if ip := net.ParseIP(h); h != "" && (ip == nil || !ip.IsUnspecified()) {
			return h
		}
	}
	return ""
}

// minHedge is the least wait before a hedge, so that forwards predicted
// to be quick are not hedged on scheduling noise.
const minHedge = 50 * time.Millisecond

// hedgeAfter is when to hedge a forward predicted to take predicted (0:
// never).
func (c ClusterConfig) hedgeAfter(predicted time.Duration) time.Duration {
	switch {
	case c.HedgeAfter < 0:
		return 0
	case c.HedgeAfter > 0:
		return c.HedgeAfter
	}
	return max(3*predicted, minHedge)
}
