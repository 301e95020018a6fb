package cache

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPinCountsNoHitOrMiss: hits and misses are the requests' figures. A
// pin (an operator's load) counts neither, in the metrics, the per-model
// facts and the history; the request after it is a hit, and each handle
// says whether it was.
func TestPinCountsNoHitOrMiss(t *testing.T) {
	c := newTestCache(t, testConfig(1000), newFakeLoader(nil, 100), nil)
	for range 2 { // the second pin finds the model loaded
		if err := c.Pin(context.Background(), "a", AcquireOptions{SizeHintBytes: 100}); err != nil {
			t.Fatal(err)
		}
	}
	if h, m := testutil.ToFloat64(c.metrics.hits), testutil.ToFloat64(c.metrics.misses); h != 0 || m != 0 {
		t.Fatalf("after two pins: %v hits, %v misses; want none", h, m)
	}
	if f, _ := c.Facts("a"); f.Hits != 0 || f.Misses != 0 {
		t.Fatalf("facts after two pins = %+v, want no hit or miss", f)
	}
	if n := len(c.History()); n != 0 {
		t.Fatalf("history after two pins has %d records, want 0", n)
	}
	h := acquire(t, c, "a", 100)
	defer h.Release()
	if !h.Hit() || testutil.ToFloat64(c.metrics.hits) != 1 || testutil.ToFloat64(c.metrics.misses) != 0 {
		t.Fatalf("request after the pins: hit %v, %v hits, %v misses; want a hit, 1 and 0",
			h.Hit(), testutil.ToFloat64(c.metrics.hits), testutil.ToFloat64(c.metrics.misses))
	}
	m := acquire(t, c, "b", 100)
	defer m.Release()
	if m.Hit() {
		t.Fatal("the handle of a miss says hit")
	}
}

// TestLoadDurationByModel: the load histogram has a model label, mapped by
// Deps.ModelLabel.
func TestLoadDurationByModel(t *testing.T) {
	reg := prometheus.NewRegistry()
	label := func(name string) string { n, _, _ := strings.Cut(name, ":"); return n }
	c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: newFakeLoader(nil, 100), Policy: newPolicy(t, "lru"),
		Registerer: reg, ModelLabel: label})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	use(t, c, "a:1", 100)
	use(t, c, "a:2", 100)
	use(t, c, "b:1", 100)
	for model, n := range map[string]int{"a": 2, "b": 1} {
		if s := sampleCount(t, reg, model); s != uint64(n) {
			t.Errorf("loads of %s: %d, want %d", model, s, n)
		}
	}
}

// sampleCount is the load histogram's count for one model label.
func sampleCount(t *testing.T, reg *prometheus.Registry, model string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "edgeserve_cache_load_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "model" && l.GetValue() == model {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}
