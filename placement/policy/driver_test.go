package policy_test

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// driver is a minimal cache for hand-computed traces: no load times, a
// request per second, evictions recorded in order.
type driver struct {
	t        *testing.T
	p        policy.Policy
	models   []policy.Entry
	capBytes int64
	used     int64
	resident map[policy.Key]bool
	evicted  []policy.Key
	misses   int
	now      time.Duration
}

func newDriver(t *testing.T, p policy.Policy, models []policy.Entry, capBytes int64) *driver {
	t.Helper()
	return &driver{t: t, p: p, models: models, capBytes: capBytes, resident: map[policy.Key]bool{}}
}

// run serves each key in order, one second apart.
func (d *driver) run(keys ...policy.Key) {
	d.t.Helper()
	for _, k := range keys {
		d.now += time.Second
		d.serve(k)
	}
}

func (d *driver) serve(k policy.Key) {
	d.t.Helper()
	e := d.models[k]
	hit := d.resident[k]
	d.p.OnAccess(e, d.now, hit)
	if hit {
		return
	}
	d.misses++
	if need := e.SizeBytes - (d.capBytes - d.used); need > 0 {
		for _, v := range d.p.Victims(need, d.now, func(k policy.Key) bool { return d.resident[k] }) {
			if !d.resident[v] {
				d.t.Fatalf("%s named victim %d, which is not resident", d.p.Name(), v)
			}
			delete(d.resident, v)
			d.used -= d.models[v].SizeBytes
			d.p.OnRemove(v)
			d.evicted = append(d.evicted, v)
		}
	}
	if d.used+e.SizeBytes <= d.capBytes {
		d.resident[k] = true
		d.used += e.SizeBytes
		d.p.OnInsert(e, d.now)
	}
}

// entries builds a model table from (size, cost in ms) pairs.
func entries(sizeCost ...[2]int64) []policy.Entry {
	out := make([]policy.Entry, len(sizeCost))
	for i, sc := range sizeCost {
		out[i] = policy.Entry{Key: policy.Key(i), SizeBytes: sc[0], LoadCost: time.Duration(sc[1]) * time.Millisecond}
	}
	return out
}

func mustNew(t *testing.T, name string, models []policy.Entry) policy.Policy {
	t.Helper()
	p, err := policy.New(name, models)
	if err != nil {
		t.Fatalf("New(%q): %v", name, err)
	}
	return p
}

func equalKeys(a, b []policy.Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
