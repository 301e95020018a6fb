package gossip

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/internal/netaddr"
	"github.com/hashicorp/memberlist"
)

// ProtocolVersion is the version of EdgeServe's gossip this build speaks,
// published in every node's metadata.
const ProtocolVersion = 1

// Config is one node's gossip settings. Start from DefaultConfig.
type Config struct {
	// Name identifies the node in the cluster; it must be unique.
	Name string
	// Region groups nodes that agree on placement (one Raft group);
	// Site is where a node runs (a region has one or more).
	Region, Site string
	// BindAddr is the address memberlist listens on, TCP and UDP
	// ("host:port"; port 0 picks a free one).
	BindAddr string
	// AdvertiseAddr is the address other nodes reach this one at ("host"
	// or "host:port"); empty: memberlist picks from BindAddr.
	AdvertiseAddr string
	// Join are addresses of nodes already in the cluster; any one that
	// answers is enough.
	Join []string
	// JoinRetryInterval is the pause between join attempts; JoinAttempts
	// bounds them (0: keep trying until the node stops).
	JoinRetryInterval time.Duration
	JoinAttempts      int
	// Keys are AES keys (16, 24 or 32 bytes) that encrypt and authenticate
	// gossip; the first encrypts, all decrypt. Empty: plain text, allowed
	// on loopback only unless Insecure.
	Keys [][]byte
	// Insecure allows plain-text gossip on a non-loopback address.
	Insecure bool
	// Profile is memberlist's base configuration: "lan", "wan" or "local"
	// (loopback, short timers).
	Profile string
	// Services are the node's other addresses, published in its metadata.
	Services Services
	// TopRates is how many models' request rates a state carries.
	TopRates int
	// StateInterval is how often changes of the state's figures (headroom,
	// queue, rates) are gossiped; a change of the loaded set goes at once.
	StateInterval time.Duration
	// TombstoneTTL is how long a deleted model's tombstone is kept; a
	// record older than the deletion that arrives within it loses.
	TombstoneTTL time.Duration
	// MaxClockSkew is how far ahead of this node's clock a catalog stamp
	// may be; an entry stamped further ahead is dropped and counted.
	MaxClockSkew time.Duration
	// Timers, zero for the profile's own: how often a member is probed and
	// how long the ack may take, how often gossip is sent, how often
	// push/pull runs, and the suspicion multiplier (a suspect is declared
	// dead after SuspicionMult * log10(members) * ProbeInterval).
	ProbeInterval, ProbeTimeout, GossipInterval, PushPullInterval time.Duration
	SuspicionMult                                                 int
	// RetransmitMult, zero for the profile's (lan and wan 4, local 2): each
	// node passes a broadcast on RetransmitMult * ceil(log10(members+1))
	// times; a member it misses waits for the next push/pull.
	RetransmitMult int
	// DeadNodeReclaimTime is how long after a member failed its name may
	// rejoin from another address (a restart on a new port).
	DeadNodeReclaimTime time.Duration
	// ReconnectInterval is how often the node tries to join one failed
	// member again (as Serf does), so that the two sides of a healed
	// partition, each holding the other failed, merge; ReconnectTimeout is
	// how long after a member failed it is still tried. Zero interval:
	// never.
	ReconnectInterval, ReconnectTimeout time.Duration
}

// Services are where a node's other services listen.
type Services struct {
	GRPCAddr, HTTPAddr, PeerAddr string
	// RaftAddr is the node's region Raft group's address ("": none).
	RaftAddr string
}

// DefaultConfig is a LAN node named after the host, listening on :7946.
func DefaultConfig() Config {
	name, _ := os.Hostname()
	return Config{
		Name:              name,
		BindAddr:          ":7946",
		Profile:           "lan",
		JoinRetryInterval: 2 * time.Second,
		TopRates:          16,
		StateInterval:     time.Second,
		TombstoneTTL:      24 * time.Hour,
		MaxClockSkew:      time.Minute,

		DeadNodeReclaimTime: 30 * time.Second,
		ReconnectInterval:   10 * time.Second,
		ReconnectTimeout:    24 * time.Hour,
	}
}

// Enabled reports whether a node with these settings joins a cluster: it
// has a region or an address to join. Otherwise it is a cluster of one.
func (c Config) Enabled() bool { return c.Region != "" || len(c.Join) > 0 }

// Validate checks the settings (New does too).
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("gossip: a node name is required")
	case c.Profile != "lan" && c.Profile != "wan" && c.Profile != "local":
		return fmt.Errorf("gossip: profile %q: want lan, wan or local", c.Profile)
	case c.TopRates < 0 || c.StateInterval <= 0 || c.TombstoneTTL <= 0 || c.MaxClockSkew <= 0:
		return errors.New("gossip: top rates, state interval, tombstone ttl and clock skew must be positive")
	case c.JoinRetryInterval <= 0 || c.JoinAttempts < 0:
		return errors.New("gossip: join retry interval must be positive")
	case c.SuspicionMult < 0 || c.RetransmitMult < 0:
		return errors.New("gossip: suspicion and retransmit multipliers must not be negative")
	}
	for _, k := range c.Keys {
		if n := len(k); n != 16 && n != 24 && n != 32 {
			return fmt.Errorf("gossip: a key of %d bytes: want 16, 24 or 32", n)
		}
	}
	if len(c.Keys) == 0 && !c.Insecure && !c.loopbackOnly() {
		return fmt.Errorf("gossip: %s is not a loopback address: give a gossip key (--gossip-key) or allow plain-text gossip (--insecure-cluster)", c.BindAddr)
	}
	if _, _, err := splitBind(c.BindAddr); err != nil {
		return err
	}
	return nil
}

// loopbackOnly reports whether the node gossips on loopback alone.
func (c Config) loopbackOnly() bool {
	if !netaddr.IsLoopback(c.BindAddr) {
		return false
	}
	return c.AdvertiseAddr == "" || netaddr.IsLoopback(c.AdvertiseAddr)
}

func splitBind(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("gossip: bind address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("gossip: bind address %q: bad port", addr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, p, nil
}

// memberlistConfig is the profile with this node's settings on top.
func (c Config) memberlistConfig() *memberlist.Config {
	var mc *memberlist.Config
	switch c.Profile {
	case "wan":
		mc = memberlist.DefaultWANConfig()
	case "local":
		mc = memberlist.DefaultLocalConfig()
	default:
		mc = memberlist.DefaultLANConfig()
	}
	mc.Name = c.Name
	for _, t := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{&mc.ProbeInterval, c.ProbeInterval}, {&mc.ProbeTimeout, c.ProbeTimeout}, {&mc.GossipInterval, c.GossipInterval}, {&mc.PushPullInterval, c.PushPullInterval}} {
		if t.v > 0 {
			*t.dst = t.v
		}
	}
	mc.DeadNodeReclaimTime = c.DeadNodeReclaimTime
	if c.SuspicionMult > 0 {
		mc.SuspicionMult = c.SuspicionMult
	}
	if c.RetransmitMult > 0 {
		mc.RetransmitMult = c.RetransmitMult
	}
	return mc
}

// ParseKey decodes a base64 gossip key.
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("gossip: key is not base64: %w", err)
	}
	if n := len(k); n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("gossip: a key of %d bytes: want 16, 24 or 32", n)
	}
	return k, nil
}

// ParseKeyring decodes a keyring file: a JSON array of base64 keys, the
// first of which encrypts (the layout serf and Consul use).
func ParseKeyring(b []byte) ([][]byte, error) {
	var enc []string
	if err := json.Unmarshal(b, &enc); err != nil {
		return nil, fmt.Errorf("gossip: keyring: %w", err)
	}
	if len(enc) == 0 {
		return nil, errors.New("gossip: keyring holds no key")
	}
	keys := make([][]byte, 0, len(enc))
	for i, s := range enc {
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("gossip: keyring key %d: %w", i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
