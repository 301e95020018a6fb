package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// gapArgs is a small synthetic measurement: two accountings, one mapping,
// two capacities.
var gapArgs = []string{"sim", "gap", "--synthetic", "--models", "12", "--duration", "5m", "--rate", "10",
	"--profiles", "poster", "--mapping-seeds", "1", "--capacities", "0.1,0.5", "--policies", "lru,gdsf,edgeserve,edgeserve-serving,feasible,edgeserve-node"}

// TestSimGapJSON: every point places LRU at 0% of the gap and the feasible
// schedule at 100%, no policy below the bound, and the summary has each
// policy's smallest share per accounting.
func TestSimGapJSON(t *testing.T) {
	out, err := runCLI(t, append(gapArgs, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Points   []gapPoint   `json:"points"`
		Smallest []gapSummary `json:"smallest_gap_closed"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Points) != 4 || got.Points[0].Accounting != "delayed" || got.Points[3].Accounting != "instant" {
		t.Fatalf("%d points, want delayed then instant at two capacities: %+v", len(got.Points), got.Points)
	}
	for _, p := range got.Points {
		if len(p.Rows) != 6 || p.LRU <= 0 || p.Bound > p.Feasible || p.ForwardRTTMs != 5 {
			t.Fatalf("point %+v", p)
		}
		for _, r := range p.Rows {
			if r.Policy == "edgeserve-node" { // forwards cost 5 ms, not a load: it may beat the bound
				if r.LoadDelay <= 0 || r.LoadDelay >= p.LRU {
					t.Errorf("edgeserve-node at %.2f: %v against LRU %v", p.CapacityFraction, r.LoadDelay, p.LRU)
				}
				continue
			}
			if r.LoadDelay < p.Bound || r.Closed == nil || *r.BoundClosed > 1+1e-9 {
				t.Errorf("%s at %.2f: %+v against bound %v", r.Policy, p.CapacityFraction, r, p.Bound)
			}
			if (r.Policy == "lru" && *r.Closed != 0) || (r.Policy == "feasible" && *r.Closed != 1) {
				t.Errorf("%s closes %v of the gap", r.Policy, *r.Closed)
			}
		}
	}
	if len(got.Smallest) != 12 || got.Smallest[0].Policy != "lru" || *got.Smallest[0].MinClosed != 0 {
		t.Fatalf("summary %+v", got.Smallest)
	}
}

func TestSimGapTable(t *testing.T) {
	out, err := runCLI(t, gapArgs...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+4+2 || !strings.Contains(lines[0], "feasible_by") ||
		!strings.HasPrefix(lines[5], "delayed shared: smallest gap closed: lru 0.0%") {
		t.Fatalf("table:\n%s", out)
	}
}

func TestSimGapRejectsBadFlags(t *testing.T) {
	for _, bad := range [][]string{{"--accounting", "lazy"}, {"--mapping", "by-name"}, {"--policies", "nope"},
		{"--policies", "nope-serving"}, {"--policies", "nope-node"}, {"--capacities", "1.5"}, {"--capacities", "0"},
		{"--forward-rtt-ms", "-1"}, {"--forward-rtt-ms", "NaN"}, {"--forward-peer", "some"}} {
		if _, err := runCLI(t, append(append([]string(nil), gapArgs...), bad...)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
