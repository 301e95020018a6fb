package sim

import (
	"errors"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
)

func timed(name string, size int64, load, run time.Duration) profile.Model {
	return profile.Model{Name: name, SizeBytes: size, LoadTime: load, RunTime: run}
}

// keeper is a policy with admission control at its simplest: it never
// evicts, so every model that does not fit in free memory is declined.
type keeper struct{ *testLRU }

func (keeper) Victims(int64, time.Duration, func(policy.Key) bool) []policy.Key { return nil }

// TestForwardHandComputed walks hand-computed traces through the
// forwarding forms (capacity 100 bytes, a peer 5 ms away).
func TestForwardHandComputed(t *testing.T) {
	const a, b, c, d = 0, 1, 2, 3
	models := []profile.Model{timed("A", 60, 100*ms, 10*ms), timed("B", 50, 200*ms, 20*ms),
		timed("C", 40, 2*ms, 1*ms), timed("D", 200, 50*ms, 5*ms)}
	tests := []struct {
		name string
		p    policy.Policy
		fwd  Forward
		reqs []int64
		want Result
	}{{
		// The node's form: a policy that never declines, the hot rule.
		name: "hot rule", p: newTestLRU(4), fwd: Forward{RTT: 5 * ms, HotWindow: 30 * time.Second},
		reqs: []int64{
			0, a, // free room: load A, ready at 100; wait 100
			200, b, // room only by evicting A, used 200 ms ago: declined, forward-hit 5+20: wait 5
			40000, b, // A idle 40 s: not hot; load B evicting A, ready at 40200; wait 200
			40100, a, // B still loading (not idle): declined, forward: wait 5
			40300, b, // hit
			40400, d, // larger than the budget: forward: wait 5
		},
		want: Result{Requests: 6, Hits: 1, HitRatio: 1.0 / 6, ByteHitRatio: 50.0 / 470, TotalLoadDelay: 315 * ms,
			P99LoadDelay: 200 * ms, Loads: 2, Forwards: 3},
	}, {
		// Admission control: the policy declines, the peer serves.
		name: "policy declines", p: keeper{newTestLRU(4)}, fwd: Forward{RTT: 5 * ms},
		reqs: []int64{
			0, a, // fits: load, wait 100
			1, b, // no room and no victims: forward, wait 5
			2, c, // fits beside A: load, ready at 4; wait 2
			3, a, // A loading until 100: delayed hit, wait 97
		},
		want: Result{Requests: 4, DelayedHits: 1, ByteHitRatio: 0, TotalLoadDelay: 204 * ms,
			P99LoadDelay: 100 * ms, Loads: 2, Forwards: 1},
	}, {
		// A peer holds everything: the router compares load and forward.
		name: "peer holds all", p: newTestLRU(4), fwd: Forward{RTT: 5 * ms, PeerHoldsAll: true},
		reqs: []int64{
			0, a, // load 100+10 against forward 5+10: forward, wait 5
			1, c, // load 2+1 against forward 5+1: load, wait 2
			5, c, // hit
		},
		want: Result{Requests: 3, Hits: 1, HitRatio: 1.0 / 3, ByteHitRatio: 40.0 / 140, TotalLoadDelay: 7 * ms,
			P99LoadDelay: 5 * ms, Loads: 1, Forwards: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &Workload{Models: models, Requests: reqs(tt.reqs...)}
			if err := w.Validate(); err != nil {
				t.Fatal(err)
			}
			fwd := tt.fwd
			got := Run(w, tt.p, 100, Options{Forward: &fwd})
			tt.want.Policy, tt.want.CapacityBytes = "test-lru", 100
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestOnlineForms: each suffix replays its form; the forwarding forms use
// the peer Options gives.
func TestOnlineForms(t *testing.T) {
	// A and B (60 bytes each) alternate every second: only one fits.
	w := &Workload{Models: []profile.Model{timed("A", 60, time.Second, 10*ms), timed("B", 60, time.Second, 10*ms)},
		Requests: reqs(0, 0, 1000, 1, 2000, 0, 3000, 1)}
	run := func(name string, opts Options) Result {
		t.Helper()
		r, err := Online(name, w, 100, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Transient loads, must-cache: every request loads (1 s each).
	for _, name := range []string{"lru", "lru-serving"} {
		if r := run(name, Options{}); r.Loads != 4 || r.Forwards != 0 || r.TotalLoadDelay != 4*time.Second {
			t.Errorf("%s: %+v", name, r)
		}
	}
	// The node's form: A is hot, so B is forwarded (default peer, 5 ms),
	// and A stays.
	if r := run("lru-node", Options{}); r.Loads != 1 || r.Hits != 1 || r.Forwards != 2 || r.TotalLoadDelay != time.Second+10*ms {
		t.Errorf("lru-node: %+v", r)
	}
	// LRU never declines: its own form forwarding loads like lru.
	if r := run("lru-forward", Options{Forward: &Forward{RTT: 20 * ms}}); r.Loads != 4 || r.Forwards != 0 {
		t.Errorf("lru-forward: %+v", r)
	}
	if r := run("lru-node", Options{Forward: &Forward{RTT: 20 * ms}}); r.TotalLoadDelay != time.Second+40*ms {
		t.Errorf("lru-node 20 ms away: %+v", r)
	}
	for _, bad := range []string{"nope", "nope-node", "-forward"} {
		if _, err := Online(bad, w, 100, Options{}); !errors.Is(err, policy.ErrUnknownPolicy) || IsOnline(bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if !IsOnline("edgeserve-node") || !IsOnline("gdsf-forward") || !IsOnline("lru") {
		t.Error("IsOnline refuses a registered form")
	}
}
