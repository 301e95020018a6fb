package variant

import (
	"errors"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/route"
)

const ms = time.Millisecond

// family is a task's models, each loaded as where says.
func family(where map[string]route.Kind, latency map[string]time.Duration) []Candidate {
	acc := map[string]float64{"squeezenet": 0.729, "mobilenet": 0.906, "inception": 0.938, "nasnet_large": 0.961}
	var out []Candidate
	for _, name := range []string{"squeezenet", "mobilenet", "inception", "nasnet_large"} {
		out = append(out, Candidate{Name: name, Version: "1", Accuracy: acc[name], Latency: latency[name], Where: where[name]})
	}
	return out
}

func TestChoose(t *testing.T) {
	allHit := map[string]route.Kind{"squeezenet": route.Hit, "mobilenet": route.Hit, "inception": route.Hit, "nasnet_large": route.Hit}
	warm := map[string]time.Duration{"squeezenet": 3 * ms, "mobilenet": 11 * ms, "inception": 105 * ms, "nasnet_large": 400 * ms}
	onlySmallLoaded := map[string]route.Kind{"squeezenet": route.Hit, "mobilenet": route.Hit, "inception": route.Load, "nasnet_large": route.Load}
	cold := map[string]time.Duration{"squeezenet": 3 * ms, "mobilenet": 11 * ms, "inception": 170 * ms, "nasnet_large": 2400 * ms}
	peer := map[string]route.Kind{"squeezenet": route.Hit, "mobilenet": route.Load, "inception": route.ForwardHit, "nasnet_large": route.Load}
	peerLat := map[string]time.Duration{"squeezenet": 3 * ms, "mobilenet": 31 * ms, "inception": 110 * ms, "nasnet_large": 2400 * ms}
	tests := []struct {
		name   string
		cands  []Candidate
		req    Request
		want   string
		missed bool
	}{
		{"all loaded, no budget: the most accurate", family(allHit, warm), Request{}, "nasnet_large", false},
		{"all loaded, a budget: the most accurate within it", family(allHit, warm), Request{Budget: 200 * ms}, "inception", false},
		{"the accurate one would miss the budget through a load: a less accurate loaded one", family(onlySmallLoaded, cold), Request{Budget: 150 * ms}, "mobilenet", false},
		{"a load within budget is taken", family(onlySmallLoaded, cold), Request{Budget: 180 * ms}, "inception", false},
		{"a forward to a peer within budget beats a loaded less accurate model", family(peer, peerLat), Request{Budget: 150 * ms}, "inception", false},
		{"no model meets the budget: the fastest, budget missed", family(onlySmallLoaded, cold), Request{Budget: 2 * ms}, "squeezenet", true},
		{"min accuracy excludes the fast ones", family(onlySmallLoaded, cold), Request{MinAccuracy: 0.93, Budget: 150 * ms}, "inception", true},
		{"latency exactly at the budget meets it", family(allHit, warm), Request{Budget: 105 * ms}, "inception", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Choose(tc.cands, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.want || got.BudgetMissed != tc.missed {
				t.Fatalf("chose %s (missed %v), want %s (missed %v)", got.Name, got.BudgetMissed, tc.want, tc.missed)
			}
		})
	}
}

// TestChooseTiesGoToNearest: equally accurate models, one loaded here, one
// on a peer, one nowhere: the one here wins even though a peer's copy is
// predicted no slower, and without it the peer's.
func TestChooseTiesGoToNearest(t *testing.T) {
	cands := []Candidate{
		{Name: "a", Accuracy: 0.9, Latency: 50 * ms, Where: route.Load},
		{Name: "b", Accuracy: 0.9, Latency: 20 * ms, Where: route.ForwardHit, Node: "peer"},
		{Name: "c", Accuracy: 0.9, Latency: 30 * ms, Where: route.Hit},
	}
	if got, _ := Choose(cands, Request{}); got.Name != "c" {
		t.Fatalf("chose %s, want c (loaded here)", got.Name)
	}
	if got, _ := Choose(cands[:2], Request{}); got.Name != "b" {
		t.Fatalf("chose %s, want b (loaded on a peer)", got.Name)
	}
}

func TestChooseErrors(t *testing.T) {
	if _, err := Choose(nil, Request{}); !errors.Is(err, ErrNoVariant) {
		t.Fatalf("no candidates: %v, want ErrNoVariant", err)
	}
	cands := []Candidate{{Name: "a", Accuracy: 0.5}}
	if _, err := Choose(cands, Request{MinAccuracy: 0.6}); !errors.Is(err, ErrNoVariant) {
		t.Fatalf("none accurate enough: %v, want ErrNoVariant", err)
	}
}
