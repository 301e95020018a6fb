package raftgroup

import (
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the group's series.
type metrics struct {
	plans      *prometheus.CounterVec
	members    *prometheus.CounterVec
	rpcs       *prometheus.CounterVec
	bootstraps prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		plans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_raft_plans_total",
			Help: "Plans the region leader made, by result (committed, unchanged, stale, failed)."}, []string{"result"}),
		members: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_raft_membership_changes_total",
			Help: "Configuration changes the leader made, by operation (add_voter, add_nonvoter, remove_left, remove_dead, remove_drained, update_address; _failed when they failed)."},
			[]string{"op"}),
		rpcs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_raft_group_requests_total",
			Help: "Group requests served on the Raft port, by kind (promise, handover, malformed)."}, []string{"kind"}),
		bootstraps: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgeserve_raft_bootstraps_total",
			Help: "Times this node bootstrapped its region's group."}),
	}
}

// register adds the series, and gauges that read the group at scrape
// time, to reg (nil: none).
func (m *metrics) register(reg prometheus.Registerer, g *Group) error {
	if reg == nil {
		return nil
	}
	cs := []prometheus.Collector{m.plans, m.members, m.rpcs, m.bootstraps,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgeserve_raft_leader", Help: "1 while this node leads its region."},
			func() float64 { return boolFloat(g.raft.State() == raft.Leader) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgeserve_raft_term", Help: "The Raft term this node is in."},
			func() float64 { return float64(g.raft.CurrentTerm()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgeserve_raft_hints_generation", Help: "The generation of the hints this node applied."},
			func() float64 { return float64(g.hfsm.Current().Generation) }),
	}
	for _, r := range []struct {
		result string
		get    func() uint64
	}{{"applied", func() uint64 { return g.hfsm.Stats().Applied }}, {"stale", func() uint64 { return g.hfsm.Stats().Stale }},
		{"rejected", func() uint64 { return g.hfsm.Stats().Rejected }}} {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edgeserve_raft_fsm_entries_total",
			Help: "Log entries the hint state machine saw, by result (applied, stale, rejected).", ConstLabels: prometheus.Labels{"result": r.result}},
			func() float64 { return float64(r.get()) }))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *metrics) plan(result string) { m.plans.WithLabelValues(result).Inc() }
func (m *metrics) member(op string)   { m.members.WithLabelValues(op).Inc() }
func (m *metrics) rpc(kind string)    { m.rpcs.WithLabelValues(kind).Inc() }
