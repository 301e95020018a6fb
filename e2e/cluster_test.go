package e2e

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

type statusJSON struct {
	Enabled       bool   `json:"enabled"`
	Node          string `json:"node"`
	CatalogModels int    `json:"catalog_models"`
	Members       []struct {
		Name       string   `json:"name"`
		Region     string   `json:"region"`
		Site       string   `json:"site"`
		Health     string   `json:"health"`
		GRPCAddr   string   `json:"grpc_addr"`
		StateKnown bool     `json:"state_known"`
		Loaded     []string `json:"loaded"`
	} `json:"members"`
}

func clusterStatus(t *testing.T, addr string) statusJSON {
	t.Helper()
	var st statusJSON
	if err := json.Unmarshal(cli(t, "cluster", "status", "--json", "--addr", addr), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestThreeNodesFindEachOther: three edgeserve-node processes on
// 127.0.0.1-3, started with the cluster flags, find each other; the
// status of any of them lists all three with their loaded models, and
// the catalog lists a model pushed at one node everywhere.
func TestThreeNodesFindEachOther(t *testing.T) {
	n1 := startNode(t, "edge-a", "127.0.0.1", "--region", "eu", "--site", "eu-1")
	n2 := startNode(t, "edge-b", "127.0.0.2", "--region", "eu", "--site", "eu-2", "--join", n1.gossip)
	n3 := startNode(t, "edge-c", "127.0.0.3", "--region", "us", "--join", n1.gossip+","+n2.gossip)
	nodes := []*proc{n1, n2, n3}

	cli(t, "models", "push", "squeezenet1.1", testnode.ZooFile(t, "squeezenet1.1"), "--addr", n1.grpc)
	cli(t, "models", "load", "squeezenet1.1", "--addr", n1.grpc)
	cli(t, "models", "push", "mobilenet_v1_0.25", testnode.ZooFile(t, "mobilenet_v1_0.25"), "--addr", n2.grpc)
	cli(t, "models", "load", "mobilenet_v1_0.25", "--addr", n2.grpc)

	want := map[string][]string{"edge-a": {"squeezenet1.1:1"}, "edge-b": {"mobilenet_v1_0.25:1"}, "edge-c": {}}
	for _, asked := range nodes {
		testutil.Eventually(t, "the status of "+asked.name+" lists all three with their models", func() bool {
			st := clusterStatus(t, asked.grpc)
			if !st.Enabled || st.Node != asked.name || len(st.Members) != 3 || st.CatalogModels != 2 {
				return false
			}
			for _, m := range st.Members {
				if m.Health != "alive" || !m.StateKnown || !slices.Equal(m.Loaded, want[m.Name]) || m.GRPCAddr == "" {
					return false
				}
			}
			return true
		})
	}
	st := clusterStatus(t, n3.grpc)
	for _, m := range st.Members {
		if m.Name == "edge-c" && (m.Region != "us" || m.Site != "us") {
			t.Fatalf("edge-c is %+v: want region us, site defaulting to the region", m)
		}
		if m.Name == "edge-b" && m.Site != "eu-2" {
			t.Fatalf("edge-b is %+v: want site eu-2", m)
		}
	}

	// A model pushed to one node is served by another: its bytes come from
	// the holder, verified.
	cli(t, "infer", "mobilenet_v1_0.25", "--random", "--addr", n3.grpc)

	// A graceful stop reads as "left" everywhere else.
	n3.stop(t)
	for _, asked := range nodes[:2] {
		testutil.Eventually(t, asked.name+" sees edge-c left", func() bool {
			for _, m := range clusterStatus(t, asked.grpc).Members {
				if m.Name == "edge-c" {
					return m.Health == "left"
				}
			}
			return false
		})
	}
}
