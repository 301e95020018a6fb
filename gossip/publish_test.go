package gossip

import (
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		prev, next, added, removed []string
	}{
		{nil, nil, nil, nil},
		{nil, []string{"a", "b"}, []string{"a", "b"}, nil},
		{[]string{"a", "b"}, nil, nil, []string{"a", "b"}},
		{[]string{"a", "c", "e"}, []string{"b", "c", "d"}, []string{"b", "d"}, []string{"a", "e"}},
		{[]string{"a", "b"}, []string{"a", "b"}, nil, nil},
		{[]string{"b"}, []string{"a", "b", "c"}, []string{"a", "c"}, nil},
	} {
		added, removed := diff(tc.prev, tc.next)
		if !slices.Equal(added, tc.added) || !slices.Equal(removed, tc.removed) {
			t.Errorf("diff(%v, %v) = %v, %v; want %v, %v", tc.prev, tc.next, added, removed, tc.added, tc.removed)
		}
		// Applying the diff to prev gives next.
		got := applyDelta(full(1, 1, tc.prev...), delta(1, 1, 2, added, removed)).Loaded
		if len(got) != 0 || len(tc.next) != 0 {
			if !slices.Equal(got, tc.next) {
				t.Errorf("prev %v + diff = %v, want %v", tc.prev, got, tc.next)
			}
		}
	}
}

func TestTopRates(t *testing.T) {
	rates := map[string]float64{"a": 1, "b": 5, "c": 5, "d": 0.5, "e": 9}
	var got []string
	for _, r := range topRates(rates, 3) {
		got = append(got, r.Model)
	}
	if want := []string{"e", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("top 3 = %v, want %v (highest first, ties by name)", got, want)
	}
	if n := len(topRates(rates, 10)); n != 5 {
		t.Fatalf("k above the count: %d rates, want 5", n)
	}
	if n := len(topRates(rates, 0)); n != 0 {
		t.Fatalf("k = 0: %d rates", n)
	}
	if n := len(topRates(nil, 4)); n != 0 {
		t.Fatalf("no rates: %d", n)
	}
}
