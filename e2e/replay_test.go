package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

// TestReplaySmoke: three edgeserve-node processes at three sites in two
// regions; two models pushed at different nodes; `edgeserve replay` sends
// a 3-second trace in real time from four sites (one without a node,
// whose requests go to every node in turn). Every request is answered,
// and the routes add up: to the answers, and at each node the requests it
// served itself (hit, load, fallback, hedge) are those it says it ran, the
// forwarded ones those other nodes ran.
func TestReplaySmoke(t *testing.T) {
	n1 := startNode(t, "edge-eu-1", "127.0.0.1", "--region", "eu", "--site", "eu-1")
	n2 := startNode(t, "edge-eu-2", "127.0.0.2", "--region", "eu", "--site", "eu-2", "--join", n1.gossip)
	n3 := startNode(t, "edge-us-1", "127.0.0.3", "--region", "us", "--site", "us-1", "--join", n1.gossip)
	nodes := []*proc{n1, n2, n3}
	cli(t, "models", "push", "adder", testnode.ZooFile(t, "add_fp32"), "--addr", n1.grpc)
	cli(t, "models", "push", "mlp", testnode.ZooFile(t, "tiny_mlp"), "--addr", n3.grpc)
	waitForCatalog(t, nodes, 2)

	file := siteTrace(t, 150, 20, []string{"eu-1", "eu-2", "us-1", "asia"}, []string{"adder", "mlp"})
	rep := replayJSON(t, "--trace", file, "--node", "eu-1="+n1.grpc, "--node", "eu-2="+n2.grpc, "--node", "us-1="+n3.grpc,
		"--concurrency", "8", "--timeout", "60s")
	if rep.Planned != 150 || rep.Sent != 150 || rep.OK != 150 || rep.SuccessRate != 1 || rep.Stopped != "" {
		t.Fatalf("replay: %+v; want all 150 requests answered", rep)
	}
	checkRoutes(t, rep, nodes)
	t.Logf("routes %v, served by %v, latency %v", rep.Routes, rep.ServedBy, rep.Latency)
}

// siteTrace writes a CSV trace of n requests every gapMs milliseconds,
// taking sites and models in turn, and returns its path.
func siteTrace(t *testing.T, n, gapMs int, sites, models []string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("time_ms,model,site\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%s,%s\n", i*gapMs, models[i%len(models)], sites[i%len(sites)])
	}
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitForCatalog waits until every node's status lists all the nodes
// alive and models models in the catalog.
func waitForCatalog(t *testing.T, nodes []*proc, models int) {
	t.Helper()
	for _, n := range nodes {
		testutil.Eventually(t, n.name+" lists every node and model", func() bool {
			st := clusterStatus(t, n.grpc)
			alive := 0
			for _, m := range st.Members {
				if m.Health == "alive" {
					alive++
				}
			}
			return alive == len(nodes) && st.CatalogModels == models
		})
	}
}

// replayJSON runs `edgeserve replay --json` with args and decodes its report.
func replayJSON(t *testing.T, args ...string) *replay.Report {
	t.Helper()
	var rep replay.Report
	if err := json.Unmarshal(cli(t, append([]string{"replay", "--json"}, args...)...), &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// checkRoutes: the routes of answered requests add up to the answers, only
// the cluster's nodes ran requests, and each node given to the replay
// served itself (hit, load, fallback, hedge) the requests it says it ran.
func checkRoutes(t *testing.T, rep *replay.Report, nodes []*proc) {
	t.Helper()
	names := map[string]string{}
	for _, n := range nodes {
		names[n.grpc] = n.name
	}
	if sum(rep.Routes) != rep.OK || sum(rep.ServedBy) != rep.OK || rep.Routes["none"] != 0 {
		t.Fatalf("routes %v, served by %v: want them to add up to the %d answers", rep.Routes, rep.ServedBy, rep.OK)
	}
	for by := range rep.ServedBy {
		if !strings.HasPrefix(by, "edge-") {
			t.Fatalf("served by %q, not a node of the cluster (%v)", by, rep.ServedBy)
		}
	}
	for _, n := range rep.Nodes {
		name := names[n.Addr]
		self := n.Routes["hit"] + n.Routes["load"] + n.Routes["fallback"] + n.Routes["hedge"]
		if self != n.ServedBy[name] || n.Answered-self != sum(n.ServedBy)-n.ServedBy[name] || n.Answered != sum(n.Routes) {
			t.Fatalf("%s: routes %v, served by %v: its own routes do not match what it ran", name, n.Routes, n.ServedBy)
		}
	}
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}
