package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/placement/sim"
)

var clusterArgs = []string{"sim", "cluster", "--synthetic", "--models", "12", "--duration", "2m", "--rate", "5",
	"--profiles", "poster", "--memory-fractions", "0.2,0.5"}

func TestSimClusterJSON(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "p99.svg")
	out, err := runCLI(t, append(clusterArgs, "--json", "--plot", plot)...)
	if err != nil {
		t.Fatal(err)
	}
	var rs []sim.ClusterResult
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rs) != 2*len(sim.ClusterContenders()) || rs[0].Contender != sim.Full || rs[0].Nodes != 9 || rs[5].MemoryFraction != 0.5 {
		t.Fatalf("results %+v", rs)
	}
	for _, r := range rs {
		if r.Requests == 0 || r.P99 < r.P50 {
			t.Fatalf("result %+v", r)
		}
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Fatalf("plot: %v", err)
	}
}

// TestSimClusterSitesAndMatrix: a CSV trace's sites are the matrix's.
func TestSimClusterSitesAndMatrix(t *testing.T) {
	dir := t.TempDir()
	matrix := filepath.Join(dir, "rtt.csv")
	if err := os.WriteFile(matrix, []byte("site,region,x,y\nx,eu,0.5,30\ny,us,30,0.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(tr, []byte("time_ms,model,site\n0,SqueezeNet,x\n5000,SqueezeNet,y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "sim", "cluster", "--trace", tr, "--rtt-matrix", matrix, "--nodes-per-site", "1",
		"--memory-fractions", "1", "--contenders", "forward,alone")
	if err != nil {
		t.Fatal(err)
	}
	// forward: SqueezeNet loads at x (2 + 144.8 + 28.6 ms), then y forwards
	// to x's copy (2 + 30 + 28.6 ms): p50 60.60, p99 175.40.
	if !strings.Contains(out, "forward") || !strings.Contains(out, "60.60") || !strings.Contains(out, "175.40") {
		t.Fatalf("table:\n%s", out)
	}
	// Gossip 10 s late: at 5 s, y does not know of x's copy and loads its
	// own: 2 + 144.8 + 28.6 ms for both.
	out, err = runCLI(t, "sim", "cluster", "--trace", tr, "--rtt-matrix", matrix, "--nodes-per-site", "1",
		"--memory-fractions", "1", "--contenders", "forward", "--gossip-delay", "10s")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "60.60") || !strings.Contains(out, "175.40") {
		t.Fatalf("table with gossip 10 s late:\n%s", out)
	}
	if err := os.WriteFile(tr, []byte("time_ms,model,site\n0,SqueezeNet,z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "sim", "cluster", "--trace", tr, "--rtt-matrix", matrix); err == nil {
		t.Fatal("a site not in the matrix accepted")
	}
}

func TestSimClusterRejectsBadFlags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("site,region,a\na,x,-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--contenders", "everyone"}, {"--site", "x"}, {"--memory-fractions", "0"},
		{"--plot", "p.gif"}, {"--within", "0.5"}, {"--policy", "fifo"}, {"--rtt-matrix", bad},
		{"--rtt-matrix", "missing.csv"}, {"--regions", "0"}, {"--jitter-ms", "-1"}, {"--client-rtt-ms", "NaN"}, {"--roam", "2"},
		{"--warmup", "-1s"}, {"--decline-cap", "-1"}, {"--run-slots", "0"}, {"--gossip-delay", "-1s"},
		{"--hint-commit-delay", "-1s"}, {"--hint-commit-delay", "10s"}} {
		if _, err := runCLI(t, append(append([]string(nil), clusterArgs...), args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
