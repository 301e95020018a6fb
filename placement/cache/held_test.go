package cache

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Memory the runtime holds outside every charge (Deps.HeldBytes) counts as
// used when a load is fitted: with 30 of 100 bytes held, a 60-byte model
// and a 20-byte one do not both fit, so loading the second evicts the
// first; with nothing held, both stay.
func TestHeldBytesCountAsUsed(t *testing.T) {
	for _, tc := range []struct {
		held      int64
		wantFirst bool
	}{{held: 0, wantFirst: true}, {held: 30, wantFirst: false}} {
		l := newFakeLoader(map[string]int64{"a": 60, "b": 20}, 10)
		var held atomic.Int64
		held.Store(tc.held)
		reg := prometheus.NewRegistry()
		c, err := New(testConfig(100), Deps[*fakeModel]{Loader: l, Policy: newPolicy(t, "lru"), Registerer: reg,
			HeldBytes: held.Load})
		if err != nil {
			t.Fatal(err)
		}
		use(t, c, "a", 60)
		use(t, c, "b", 20)
		if got := c.Resident("a"); got != tc.wantFirst {
			t.Errorf("held %d: a resident %v after b's load, want %v", tc.held, got, tc.wantFirst)
		}
		if got := gathered(t, reg, "edgeserve_cache_held_bytes"); got != float64(tc.held) {
			t.Errorf("held %d: edgeserve_cache_held_bytes %v", tc.held, got)
		}
		st := c.Status()
		if st.HeldBytes != tc.held || st.UsedBytes+st.HeldBytes > 100 {
			t.Errorf("held %d: status used %d, held %d: want the held bytes reported and within the budget with the charges", tc.held, st.UsedBytes, st.HeldBytes)
		}
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
