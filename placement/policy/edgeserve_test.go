package policy_test

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

func newEdgeServe(t *testing.T, models []policy.Entry, mutate func(*policy.EdgeServeConfig)) *policy.EdgeServe {
	t.Helper()
	cfg := policy.DefaultEdgeServeConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := policy.NewEdgeServe(cfg, models)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEdgeServeAdmission: a one-off request for B must not displace A,
// which is requested every second; without admission control B evicts A
// and A's next request evicts B.
func TestEdgeServeAdmission(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000})
	for _, tc := range []struct {
		admission bool
		evicted   []policy.Key
	}{{true, nil}, {false, []policy.Key{a, b}}} {
		p := newEdgeServe(t, models, func(c *policy.EdgeServeConfig) { c.Admission = tc.admission })
		dr := newDriver(t, p, models, 1)
		dr.run(a, a, a, a, a, b, a)
		if !equalKeys(dr.evicted, tc.evicted) {
			t.Errorf("admission %v: evicted %v, want %v", tc.admission, dr.evicted, tc.evicted)
		}
	}
}

// TestEdgeServeCostPerByte: with equal rates, the model that is cheaper
// to reload per byte goes first.
func TestEdgeServeCostPerByte(t *testing.T) {
	// A: 1 s per byte; B: 0.25 s per byte; C needs one byte.
	models := entries([2]int64{1, 1000}, [2]int64{2, 500}, [2]int64{1, 1000})
	p := newEdgeServe(t, models, nil)
	dr := newDriver(t, p, models, 3)
	dr.run(a, b, c)
	if !equalKeys(dr.evicted, []policy.Key{b}) {
		t.Fatalf("evicted %v, want [b]", dr.evicted)
	}
}

// TestEdgeServeHooks: a peer's nearby copy makes A cheap to miss, so B is
// admitted in its place; a hint protects A again.
func TestEdgeServeHooks(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000})
	for _, tc := range []struct {
		name    string
		set     func(p *policy.EdgeServe)
		evicted []policy.Key
	}{
		{"no hooks", func(*policy.EdgeServe) {}, nil},
		{"peer copy", func(p *policy.EdgeServe) { p.SetPeerCopy(a, time.Millisecond) }, []policy.Key{a}},
		{"peer copy and hint", func(p *policy.EdgeServe) {
			p.SetPeerCopy(a, time.Millisecond)
			p.SetHint(a, 1e6)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newEdgeServe(t, models, nil)
			var _ policy.PeerAware = p
			var _ policy.Hinted = p
			dr := newDriver(t, p, models, 1)
			dr.run(a, a, a)
			tc.set(p)
			dr.run(b)
			if !equalKeys(dr.evicted, tc.evicted) {
				t.Fatalf("evicted %v, want %v", dr.evicted, tc.evicted)
			}
		})
	}
}

// TestEdgeServePreload: after A leaves, free memory is offered to the most
// useful non-resident model that fits and has recent demand.
func TestEdgeServePreload(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000}, [2]int64{4, 1000})
	p := newEdgeServe(t, models, nil)
	notResident := func(policy.Key) bool { return false }
	now := time.Second
	for _, k := range []policy.Key{a, a, b, c} {
		p.OnAccess(models[k], now, false)
		now += time.Second
	}
	p.OnInsert(models[a], now)
	p.OnRemove(a)
	p.OnInsert(models[b], now)
	p.OnRemove(b)
	p.OnInsert(models[c], now)
	p.OnRemove(c)
	if got := p.Preload(now, 1, notResident); !equalKeys(got, []policy.Key{a}) {
		t.Fatalf("Preload(1 byte free) = %v, want [a] (the most requested)", got)
	}
	if got := p.Preload(now, 2, notResident); !equalKeys(got, []policy.Key{a, b}) {
		t.Fatalf("Preload(2 bytes free) = %v, want [a b]", got)
	}
	if got := p.Preload(now+time.Hour, 8, notResident); len(got) != 0 {
		t.Fatalf("Preload an hour later = %v, want none (demand decayed)", got)
	}
	off := newEdgeServe(t, models, func(c *policy.EdgeServeConfig) { c.Preload = false })
	off.OnAccess(models[a], now, false)
	if got := off.Preload(now, 8, notResident); len(got) != 0 {
		t.Fatalf("Preload with preloading off = %v", got)
	}
}

// The simulator and the node find preloading through this interface.
var _ sim.Preloader = (*policy.EdgeServe)(nil)

// TestNewServing: the serving form of every policy names victims where
// the default EdgeServe declines (the one-off B of TestEdgeServeAdmission).
func TestNewServing(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000})
	for _, name := range policy.Names() {
		t.Run(name, func(t *testing.T) {
			p, err := policy.NewServing(name, models)
			if err != nil {
				t.Fatal(err)
			}
			dr := newDriver(t, p, models, 1)
			dr.run(a, a, a, a, a, b)
			if !equalKeys(dr.evicted, []policy.Key{a}) {
				t.Fatalf("evicted %v, want [a]", dr.evicted)
			}
		})
	}
	if _, err := policy.NewServing("fifo", models); err == nil {
		t.Fatal("unknown policy accepted")
	}
}
