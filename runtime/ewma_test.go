package runtime

import (
	"sync"
	"testing"
	"time"
)

func TestEWMA(t *testing.T) {
	e := NewEWMA(0.5)
	if e.Value() != 0 || e.Count() != 0 {
		t.Fatal("new estimator not empty")
	}
	e.Observe(100 * time.Millisecond)
	if e.Value() != 100*time.Millisecond {
		t.Fatalf("first observation must seed: %v", e.Value())
	}
	e.Observe(200 * time.Millisecond)
	e.Observe(200 * time.Millisecond)
	// 100 -> 150 -> 175 with alpha 0.5.
	if e.Value() != 175*time.Millisecond || e.Count() != 3 {
		t.Fatalf("value %v count %d, want 175ms 3", e.Value(), e.Count())
	}
}

func TestEWMAConcurrent(t *testing.T) {
	e := NewEWMA(0.1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				e.Observe(time.Millisecond)
				_ = e.Value()
			}
		})
	}
	wg.Wait()
	if e.Count() != 800 || e.Value() != time.Millisecond {
		t.Fatalf("count %d value %v", e.Count(), e.Value())
	}
}
