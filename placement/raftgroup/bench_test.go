package raftgroup

import (
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
)

// BenchmarkFailover measures, per iteration, the time from killing a
// three-node region's leader to the new leader's hints applied on the
// survivors (election plus the first commit): with the test timers
// (heartbeat and election timeouts 400 ms) and with raft's defaults
// (1 s). The killed node is restarted between iterations, off the clock.
// Reported as ms/failover.
func BenchmarkFailover(b *testing.B) {
	for _, c := range []struct {
		name string
		tune func(*Config)
	}{
		{"timers=test", nil},
		{"timers=raft-default", func(c *Config) {
			c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout, c.CommitTimeout = 0, 0, 0, 0
		}},
	} {
		b.Run(c.name, func(b *testing.B) { benchFailover(b, c.tune) })
	}
}

func benchFailover(b *testing.B, tune func(*Config)) {
	r := newRegion(b, "eu", 3, 3)
	r.tune = tune
	r.src.setInput(demand("m", 3, r.names()...))
	r.startAll()
	var total, worst time.Duration
	for range b.N {
		old := r.leader()
		r.waitHints("hints by "+old.name, func(s *hints.Set) bool { return s.Leader == old.name })
		start := time.Now()
		r.kill(old)
		l := r.leader()
		r.waitHints("hints by the new leader", func(s *hints.Set) bool { return s.Leader == l.name })
		took := time.Since(start)
		total, worst = total+took, max(worst, took)
		r.start(old)
		r.waitHints("the old leader back", func(s *hints.Set) bool { return s.Leader == l.name })
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/failover")
	b.ReportMetric(float64(worst.Milliseconds()), "ms-worst")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFormation measures a three-node region from a simultaneous
// start to hints applied on every node: bootstrap wait (100 ms),
// promises, bootstrap, election, first commit.
func BenchmarkFormation(b *testing.B) {
	var total time.Duration
	for range b.N {
		r := newRegion(b, "eu", 3, 3)
		r.src.setInput(demand("m", 3, r.names()...))
		start := time.Now()
		r.startTogether()
		r.waitHints("first hints", func(s *hints.Set) bool { return s.Generation > 0 })
		total += time.Since(start)
		for _, n := range slices.Clone(r.nodes) {
			r.kill(n)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/formation")
	b.ReportMetric(0, "ns/op")
}
