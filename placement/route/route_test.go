package route

import (
	"testing"
	"time"
)

const ms = time.Millisecond

func kinds(opts []Option) []string {
	var out []string
	for _, o := range opts {
		out = append(out, string(o.Kind)+"@"+o.Node)
	}
	return out
}

func TestChoose(t *testing.T) {
	cases := []struct {
		name  string
		local Local
		peers []Peer
		want  []string
	}{
		{"a near peer with it loaded beats a load", Local{LoadTime: 300 * ms, Run: 20 * ms},
			[]Peer{{Name: "b", RTT: 5 * ms, Loaded: true, Run: 20 * ms}}, []string{"forward-hit@b", "load@"}},
		{"a far peer loses to a cheap load", Local{LoadTime: 40 * ms, Run: 5 * ms},
			[]Peer{{Name: "b", RTT: 80 * ms, Loaded: true, Run: 5 * ms}}, []string{"load@", "forward-hit@b"}},
		{"a busy peer loses to a quiet one", Local{LoadTime: time.Second, Run: 20 * ms},
			[]Peer{{Name: "b", RTT: 5 * ms, Loaded: true, Queue: 10, Run: 20 * ms}, {Name: "c", RTT: 30 * ms, Loaded: true, Run: 20 * ms}},
			[]string{"forward-hit@c", "forward-hit@b", "load@"}},
		{"no room here: forward, or load at a peer with room", Local{NoRoom: true},
			[]Peer{{Name: "b", RTT: 5 * ms, Room: true, LoadTime: 100 * ms, Run: 10 * ms}, {Name: "c", RTT: 5 * ms}},
			[]string{"forward-load@b"}},
		{"declined: the load is the last resort even when cheaper", Local{LoadTime: 10 * ms, Declined: true},
			[]Peer{{Name: "b", RTT: 50 * ms, Loaded: true}}, []string{"forward-hit@b", "load@"}},
		{"declined with no peer: load anyway", Local{LoadTime: 10 * ms, Declined: true}, nil, []string{"load@"}},
		{"a peer without the bytes pays their fetch too", Local{LoadTime: 100 * ms, FetchTime: 50 * ms},
			[]Peer{{Name: "b", RTT: 5 * ms, Room: true, LoadTime: 100 * ms, FetchTime: 50 * ms}, {Name: "c", RTT: 10 * ms, Room: true, LoadTime: 100 * ms}},
			[]string{"forward-load@c", "load@", "forward-load@b"}},
		{"bytes to fetch count against the load", Local{LoadTime: 10 * ms, FetchTime: 200 * ms},
			[]Peer{{Name: "b", RTT: 20 * ms, Loaded: true, Run: 10 * ms}}, []string{"forward-hit@b", "load@"}},
		{"a peer already loading it beats a second load here", Local{LoadTime: 300 * ms, Run: 10 * ms},
			[]Peer{{Name: "b", RTT: 5 * ms, Loading: true, LoadTime: 300 * ms, Run: 10 * ms}}, []string{"forward-load@b", "load@"}},
		{"a far peer's load in progress loses to a cheap load here", Local{LoadTime: 40 * ms, Run: 5 * ms},
			[]Peer{{Name: "b", RTT: 60 * ms, Loading: true, LoadTime: 40 * ms, Run: 5 * ms}}, []string{"load@", "forward-load@b"}},
		{"a peer with it loaded beats one loading it", Local{LoadTime: 300 * ms, Run: 10 * ms},
			[]Peer{{Name: "b", RTT: 10 * ms, Loaded: true, Run: 10 * ms}, {Name: "c", RTT: 5 * ms, Loading: true, LoadTime: 300 * ms, Run: 10 * ms}},
			[]string{"forward-hit@b", "forward-load@c", "load@"}},
		{"a tie goes to this node", Local{LoadTime: 10 * ms},
			[]Peer{{Name: "b", RTT: 10 * ms, Loaded: true}}, []string{"load@", "forward-hit@b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := kinds(Choose(tc.local, tc.peers))
			into := kinds(ChooseInto(make([]Option, 5, 8), tc.local, tc.peers))
			if len(into) != len(got) {
				t.Fatalf("ChooseInto = %v, Choose = %v", into, got)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Choose = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("Choose = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestEstimates(t *testing.T) {
	if small, big := EstimateLoad(1<<20), EstimateLoad(500<<20); small >= big || small < 30*ms {
		t.Fatalf("EstimateLoad: 1 MiB %v, 500 MiB %v", small, big)
	}
	if got := EstimateFetch(100<<20, 10*ms, 100<<20); got != 1020*ms {
		t.Fatalf("EstimateFetch = %v, want 1.02s", got)
	}
}

// TestLoadSpeed: the zero value estimates with EstimateLoad; the first
// load sets the scale to its own (measured / EstimateLoad of its size),
// each later one moves it a fifth of the way; nonsense is ignored.
func TestLoadSpeed(t *testing.T) {
	var s LoadSpeed
	const mb = 1 << 20
	if got, want := s.Estimate(8*mb), EstimateLoad(8*mb); got != want {
		t.Fatalf("zero value: %v, want EstimateLoad's %v", got, want)
	}
	s.Observe(4*mb, 0)
	s.Observe(-1, time.Second)
	if got, want := s.Estimate(8*mb), EstimateLoad(8*mb); got != want {
		t.Fatalf("after nonsense: %v, want EstimateLoad's %v", got, want)
	}
	near := func(got, want time.Duration) bool { return (got - want).Abs() <= time.Microsecond }
	s.Observe(4*mb, 10*EstimateLoad(4*mb)) // this node loads ten times slower
	if got, want := s.Estimate(8*mb), 10*EstimateLoad(8*mb); !near(got, want) {
		t.Fatalf("after one load at 10x: %v, want %v", got, want)
	}
	s.Observe(mb, 5*EstimateLoad(mb)) // 10 + (5-10)/5 = 9
	if got, want := s.Estimate(8*mb), 9*EstimateLoad(8*mb); !near(got, want) {
		t.Fatalf("after a load at 5x: %v, want %v", got, want)
	}
}
