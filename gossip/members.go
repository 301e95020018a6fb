package gossip

import (
	"cmp"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/memberlist"
)

// members is what this node knows of every member's identity and health
// beyond memberlist's live list: the metadata, and the failed and left.
type members struct {
	mu     sync.Mutex
	byName map[string]*memberInfo // guarded by mu
}

type memberInfo struct {
	meta *gossippb.NodeMeta
	// leaving is the epoch of the node's run that said it is leaving.
	leaving int64
	addr    string
	left    Health // Failed or Left once gone; "" while in memberlist's list
	since   time.Time
}

func newMembers() *members { return &members{byName: map[string]*memberInfo{}} }

func (m *members) join(n *memberlist.Node, meta *gossippb.NodeMeta, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.byName[n.Name]
	if i == nil || i.left != "" {
		i = &memberInfo{since: now}
		m.byName[n.Name] = i
	}
	i.meta, i.addr = meta, net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

func (m *members) leave(name string, h Health, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := m.byName[name]; i != nil {
		i.left, i.since = h, now
	}
}

// markLeaving records that the run epoch of a node is leaving.
func (m *members) markLeaving(name string, epoch int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := m.byName[name]; i != nil {
		i.leaving = epoch
	}
}

func (m *members) isLeaving(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.byName[name]
	return i != nil && i.leaving != 0
}

// gone reports whether a member failed or left.
func (m *members) gone(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.byName[name]
	return i != nil && i.left != ""
}

// prune forgets members gone before t; it returns their names.
func (m *members) prune(t time.Time) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name, i := range m.byName {
		if i.left != "" && i.since.Before(t) {
			delete(m.byName, name)
			out = append(out, name)
		}
	}
	return out
}

func (m *members) info(name string) (memberInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.byName[name]
	if i == nil {
		return memberInfo{}, false
	}
	return *i, true
}

func (m *members) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.byName))
	for n := range m.byName {
		out = append(out, n)
	}
	return out
}

// Self is this node.
func (g *Gossip) Self() Member { return g.member(g.cfg.Name, map[string]Health{g.cfg.Name: Alive}) }

// Members are every member known, ordered by name.
func (g *Gossip) Members() []Member {
	live := g.liveHealth()
	names := g.members.names()
	for n := range live {
		names = append(names, n)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]Member, 0, len(names))
	for _, n := range names {
		out = append(out, g.member(n, live))
	}
	return out
}

// liveHealth is memberlist's live list: alive or suspect.
func (g *Gossip) liveHealth() map[string]Health {
	live := map[string]Health{}
	for _, n := range g.ml.Members() {
		h := Alive
		if n.State == memberlist.StateSuspect {
			h = Suspect
		}
		live[n.Name] = h
	}
	return live
}

func (g *Gossip) member(name string, live map[string]Health) Member {
	m := Member{Name: name, Self: name == g.cfg.Name, Health: live[name]}
	if m.Self {
		m.Region, m.Site, m.Services, m.Protocol, m.Addr = g.cfg.Region, g.cfg.site(), g.cfg.Services, ProtocolVersion, g.Addr()
	} else if i, ok := g.members.info(name); ok {
		m.Region, m.Site, m.Addr, m.Since = i.meta.Region, i.meta.Site, i.addr, i.since
		m.Services = Services{GRPCAddr: i.meta.GrpcAddr, HTTPAddr: i.meta.HttpAddr, PeerAddr: i.meta.PeerAddr, RaftAddr: i.meta.RaftAddr}
		m.Protocol = int(i.meta.Protocol)
		if i.left != "" {
			m.Health = i.left
		}
	}
	if m.Health == "" {
		m.Health = Failed
	}
	if m.Self {
		m.RTTKnown = true
	} else {
		m.RTT, m.RTTKnown = g.coords.rtt(name)
	}
	if m.Health == Alive || m.Health == Suspect {
		m.State = g.state(name)
	}
	return m
}

func (g *Gossip) state(name string) *State {
	s, behind, at := g.states.get(name)
	if s == nil {
		return nil
	}
	st := &State{Epoch: s.Epoch, Seq: s.Seq, Loaded: s.Loaded, LoadedBehind: behind,
		MemoryBudgetBytes: s.MemoryBudgetBytes, MemoryHeadroomBytes: s.MemoryHeadroomBytes,
		GPUs: []GPU{}, LoadsInProgress: int(s.LoadsInProgress), QueueDepth: int(s.QueueDepth), UpdatedAt: at}
	if st.Loaded == nil {
		st.Loaded = []string{}
	}
	if st.Loading = s.Loading; st.Loading == nil {
		st.Loading = []string{}
	}
	slices.Sort(st.Loading)
	if st.Stored = s.Stored; st.Stored == nil {
		st.Stored = []string{}
	}
	slices.Sort(st.Stored) // Member.Stores searches it; a peer's may not be

	for _, gpu := range s.Gpus {
		st.GPUs = append(st.GPUs, GPU{Index: int(gpu.Index), FreeBytes: gpu.FreeBytes, TotalBytes: gpu.TotalBytes})
	}
	for _, r := range s.Rates {
		st.Rates = append(st.Rates, Rate{Model: r.Model, PerSecond: float64(r.PerSecond)})
	}
	if p := s.Placement; p != nil {
		st.Placement = &Placement{Leader: p.Leader, Term: p.Term, Generation: p.Generation, Hinted: int(p.Hinted), Following: int(p.Following)}
	}
	return st
}

// Holders are the live members other than this node that have model
// loaded: the alive ones nearest first, then the suspect ones (probably
// alive, a probe or two late; failed or not within the suspicion
// timeout), nearest first; members of unknown RTT last in each group.
func (g *Gossip) Holders(model string) []Member {
	var out []Member
	for _, m := range g.Members() {
		if !m.Self && (m.Health == Alive || m.Health == Suspect) && m.Has(model) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int {
		if a.Health != b.Health {
			if a.Health == Alive {
				return -1
			}
			return 1
		}
		return NearestFirst(a, b)
	})
	return out
}

// NearestFirst orders members by predicted RTT, those whose RTT is not
// known yet last, ties by name: a comparison for slices.SortFunc.
func NearestFirst(a, b Member) int {
	switch {
	case a.RTTKnown != b.RTTKnown:
		if a.RTTKnown {
			return -1
		}
		return 1
	case a.RTT != b.RTT:
		return cmp.Compare(a.RTT, b.RTT)
	}
	return strings.Compare(a.Name, b.Name)
}

// RTT is the predicted round-trip time to node.
func (g *Gossip) RTT(node string) (time.Duration, bool) { return g.coords.rtt(node) }
