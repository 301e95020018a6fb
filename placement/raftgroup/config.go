package raftgroup

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
)

// Config is one node's settings for its region's group. Start from
// DefaultConfig.
type Config struct {
	// Name is this node's name and Raft server ID; Region the group's.
	Name, Region string
	// DataDir holds raft.db (bbolt: the log and stable store) and
	// snapshots/.
	DataDir string
	// BindAddr is where Raft listens ("host:port"; port 0 picks a free
	// one); AdvertiseAddr where the others reach it ("host:port"; empty:
	// the address bound). Neither may be an unspecified address then.
	BindAddr, AdvertiseAddr string
	// BootstrapExpect is how many of the region's nodes bootstrap the
	// group together; 0: this node never bootstraps, it waits to be added.
	BootstrapExpect int
	// BootstrapWait is how long a node must see the same N lowest-named
	// members before it proposes them.
	BootstrapWait time.Duration
	// PromiseTTL is how long a promise to bootstrap one configuration
	// binds a member that has not bootstrapped.
	PromiseTTL time.Duration
	// MaxVoters is how many voters the leader keeps; the rest are
	// non-voters.
	MaxVoters int
	// DeadServerCleanup is how long a member may be failed (or missing
	// from Discovery) before the leader removes it.
	DeadServerCleanup time.Duration
	// DrainHold is how long a node that handed over is kept out of plans
	// and the configuration while gossip still shows it alive.
	DrainHold time.Duration
	// ReconcileInterval is how often formation and membership are checked;
	// PlanInterval how often the leader plans.
	ReconcileInterval, PlanInterval time.Duration
	// ApplyTimeout bounds one commit or configuration change; RPCTimeout
	// one of the group's own requests.
	ApplyTimeout, RPCTimeout time.Duration
	// Raft's timers (raft.Config's meaning); zero: raft's defaults.
	HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout, CommitTimeout time.Duration
	// SnapshotInterval, SnapshotThreshold and TrailingLogs are raft's;
	// zero: raft's defaults.
	SnapshotInterval                time.Duration
	SnapshotThreshold, TrailingLogs uint64
	// Plan are the planner's rules.
	Plan hints.PlanConfig
}

// DefaultConfig listens on :8300, bootstraps nothing, keeps five voters,
// removes failed members after 5 minutes and plans every 10 seconds.
func DefaultConfig() Config {
	return Config{
		BindAddr:          ":8300",
		BootstrapWait:     3 * time.Second,
		PromiseTTL:        30 * time.Second,
		MaxVoters:         5,
		DeadServerCleanup: 5 * time.Minute,
		DrainHold:         2 * time.Minute,
		ReconcileInterval: time.Second,
		PlanInterval:      10 * time.Second,
		ApplyTimeout:      5 * time.Second,
		RPCTimeout:        5 * time.Second,
		Plan:              hints.DefaultPlanConfig(),
	}
}

// Validate checks the settings (New does too).
func (c Config) Validate() error {
	switch {
	case c.Name == "" || c.Region == "":
		return errors.New("raftgroup: a node name and a region are required")
	case c.DataDir == "":
		return errors.New("raftgroup: a data directory is required")
	case c.MaxVoters < 1 || c.BootstrapExpect < 0 || c.BootstrapExpect > c.MaxVoters:
		return fmt.Errorf("raftgroup: bootstrap expect %d must be 0 to max voters %d", c.BootstrapExpect, c.MaxVoters)
	case c.ReconcileInterval <= 0 || c.PlanInterval <= 0 || c.ApplyTimeout <= 0 || c.RPCTimeout <= 0:
		return errors.New("raftgroup: reconcile and plan intervals and timeouts must be positive")
	case c.BootstrapWait < 0 || c.PromiseTTL <= 0 || c.DeadServerCleanup <= 0 || c.DrainHold < 0:
		return errors.New("raftgroup: bootstrap wait, promise ttl, dead-server cleanup and drain hold must be positive")
	}
	if _, _, err := net.SplitHostPort(c.BindAddr); err != nil {
		return fmt.Errorf("raftgroup: bind address %q: %w", c.BindAddr, err)
	}
	return c.Plan.Validate()
}
