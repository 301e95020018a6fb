package e2e

import (
	"encoding/json"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
)

type placementJSON struct {
	Enabled bool   `json:"enabled"`
	Node    string `json:"node"`
	Region  string `json:"region"`
	State   string `json:"state"`
	Leader  string `json:"leader"`
	Term    uint64 `json:"term"`
	Servers []struct {
		Name  string `json:"name"`
		Voter bool   `json:"voter"`
	} `json:"servers"`
	Regions []struct {
		Region string `json:"region"`
		Leader string `json:"leader"`
		Term   uint64 `json:"term"`
	} `json:"regions"`
}

// TestThreeRegionsEachLeadTheirOwn: three edgeserve-node processes in
// three regions, each with --bootstrap-expect 1, each lead their own
// region's Raft group, and `edgeserve cluster placement --json` at any of
// them reports every region's leader.
func TestThreeRegionsEachLeadTheirOwn(t *testing.T) {
	n1 := startNode(t, "edge-eu", "127.0.0.1", "--region", "eu", "--bootstrap-expect", "1")
	n2 := startNode(t, "edge-us", "127.0.0.2", "--region", "us", "--bootstrap-expect", "1", "--join", n1.gossip)
	n3 := startNode(t, "edge-ap", "127.0.0.3", "--region", "ap", "--bootstrap-expect", "1", "--join", n1.gossip)
	leaders := map[string]string{"eu": "edge-eu", "us": "edge-us", "ap": "edge-ap"}
	for _, p := range []*proc{n1, n2, n3} {
		testutil.Eventually(t, p.name+" reports every region's own leader", func() bool {
			var st placementJSON
			if err := json.Unmarshal(cli(t, "cluster", "placement", "--json", "--addr", p.grpc), &st); err != nil {
				t.Fatal(err)
			}
			if !st.Enabled || st.State != "Leader" || st.Leader != p.name || leaders[st.Region] != p.name || len(st.Servers) != 1 || len(st.Regions) != 3 {
				return false
			}
			for _, r := range st.Regions {
				if r.Leader != leaders[r.Region] || r.Term == 0 {
					return false
				}
			}
			return true
		})
	}
}
