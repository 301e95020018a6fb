package route

import (
	"iter"
	"testing"
	"time"
)

// models yields (bytes, idle) pairs.
func models(pairs ...int64) iter.Seq2[int64, time.Duration] {
	return func(yield func(int64, time.Duration) bool) {
		for i := 0; i+1 < len(pairs); i += 2 {
			if !yield(pairs[i], time.Duration(pairs[i+1])*time.Second) {
				return
			}
		}
	}
}

func TestEvictsHot(t *testing.T) {
	const w = DefaultHotWindow
	for _, tt := range []struct {
		name       string
		need, free int64
		loaded     iter.Seq2[int64, time.Duration]
		want       bool
	}{
		{"fits in free memory", 50, 50, models(100, 0), false},
		{"nothing to evict", 60, 50, models(), true},
		{"an idle model covers the deficit", 60, 50, models(100, 1, 10, 40), false},
		{"idle models cover it together", 100, 50, models(30, 30, 100, 5, 20, 31), false},
		{"idle models fall short", 100, 50, models(30, 30, 100, 5, 19, 31), true},
		{"used just inside the window is hot", 60, 50, models(10, 29), true},
		{"idle for exactly the window is not", 60, 50, models(10, 30), false},
		{"a full node, only hot models", 40, 0, models(40, 0, 40, 29), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := EvictsHot(tt.need, tt.free, w, tt.loaded); got != tt.want {
				t.Fatalf("EvictsHot(%d, %d) = %v, want %v", tt.need, tt.free, got, tt.want)
			}
		})
	}
}

// TestEvictsHotStopsEarly: once idle models cover the deficit the rest
// are not asked for.
func TestEvictsHotStopsEarly(t *testing.T) {
	asked := 0
	loaded := func(yield func(int64, time.Duration) bool) {
		for range 10 {
			asked++
			if !yield(100, time.Hour) {
				return
			}
		}
	}
	if EvictsHot(150, 0, DefaultHotWindow, loaded) || asked != 2 {
		t.Fatalf("asked for %d models", asked)
	}
}
