package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// runCLI runs the CLI with args and returns stdout; stderr goes to the
// test log.

func TestSimOnGeneratedTrace(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "syn.csv")
	if _, err := runCLI(t, "trace", "generate", "--out", csvFile, "--duration", "5m", "--models", "30", "--seed", "3"); err != nil {
		t.Fatal(err)
	}
	plot := filepath.Join(dir, "delay.png")
	out, err := runCLI(t, "sim", "--trace", csvFile, "--profiles", "poster", "--capacities", "0.2,0.4",
		"--policies", "lru,gdsf,belady", "--json", "--plot", plot)
	if err != nil {
		t.Fatal(err)
	}
	var rows []sim.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("output is not JSON rows: %v\n%s", err, out)
	}
	// lru, gdsf, belady, plus the references feasible and lower-bound, at
	// two capacities.
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 10", len(rows))
	}
	for _, r := range rows {
		if r.Requests == 0 || r.VsLRU == nil {
			t.Fatalf("row %+v lacks requests or its ratio to LRU", r)
		}
		if r.Policy == sim.RefLowerBound && *r.VsFeasible > 1 {
			t.Fatalf("lower bound above the feasible schedule: %+v", r)
		}
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Fatalf("plot not written: %v", err)
	}
	// The classic accounting has no delayed hits; the default has some on
	// this trace (bursts of 20 requests a second, loads of 10 ms to 5 s).
	delayedHits := func(args ...string) int {
		t.Helper()
		out, err := runCLI(t, append([]string{"sim", "--trace", csvFile, "--capacities", "0.2", "--policies", "lru,lookahead,pfoo-u", "--json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var rows []sim.Row
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rows {
			n += r.DelayedHits
		}
		return n
	}
	if got := delayedHits("--instant-loads"); got != 0 {
		t.Fatalf("--instant-loads: %d delayed hits, want none", got)
	}
	if got := delayedHits(); got == 0 {
		t.Fatal("default accounting: no delayed hits on a bursty trace")
	}
	table, err := runCLI(t, "sim", "--trace", csvFile, "--capacities", "0.3", "--policies", "lfu")
	if err != nil || !strings.Contains(table, "lfu") || !strings.Contains(table, "gap closed") {
		t.Fatalf("table output: %v\n%s", err, table)
	}
}

func TestTraceConvertAzure(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, azureFile)
	counts := "HashFunction,HashApp,HashOwner,minute_1,minute_2\nf0,a,o,3,1\nf1,a,o,0,0\nf2,a,o,0,2\n"
	if err := os.WriteFile(in, []byte(counts), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "azure.csv")
	if _, err := runCLI(t, "trace", "convert-azure", "--azure", dir, "--out", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 7 || lines[0] != "time_ms,model" || strings.Count(string(b), "fn0002") != 2 {
		t.Fatalf("converted trace:\n%s", b)
	}
}

func TestSimRejectsBadInput(t *testing.T) {
	tests := map[string][]string{
		"no source":      {"sim"},
		"two sources":    {"sim", "--synthetic", "--trace", "x.csv"},
		"unknown policy": {"sim", "--synthetic", "--duration", "1m", "--policies", "fifo"},
		"bad profiles":   {"sim", "--synthetic", "--duration", "1m", "--profiles", "nope.json"},
		"bad mapping":    {"sim", "--synthetic", "--duration", "1m", "--mapping", "zigzag"},
		"bad capacity":   {"sim", "--synthetic", "--duration", "1m", "--capacities", "0"},
		"bad plot":       {"sim", "--synthetic", "--duration", "1m", "--policies", "lru", "--plot", "x.gif"},
		"missing trace":  {"sim", "--trace", "does-not-exist.csv"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := runCLI(t, args...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestSimOneSite(t *testing.T) {
	csvFile := filepath.Join(t.TempDir(), "sites.csv")
	trace := "time_ms,model,site\n0,SqueezeNet,x\n1,DenseNet,y\n2,SqueezeNet,y\n5000,DenseNet,y\n"
	if err := os.WriteFile(csvFile, []byte(trace), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "sim", "--trace", csvFile, "--site", "y", "--policies", "lru", "--capacities", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []sim.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	// Models named after poster profiles map by name; at full capacity the
	// second DenseNet request (5 s later, after its 1.1 s load) hits.
	if rows[0].Requests != 3 || rows[0].Hits != 1 {
		t.Fatalf("site y under lru: %+v", rows[0])
	}
	if _, err := runCLI(t, "sim", "--trace", csvFile, "--site", "z"); err == nil {
		t.Fatal("unknown site accepted")
	}
}

// TestSimForwardingForm: the node's form forwards the load that would
// evict a model in use, at the round trip --forward-rtt-ms gives.
func TestSimForwardingForm(t *testing.T) {
	csvFile := filepath.Join(t.TempDir(), "t.csv")
	// Poster profiles by name; half the bytes hold DenseNet or InceptionV3.
	trace := "time_ms,model\n0,DenseNet\n2000,InceptionV3\n3000,DenseNet\n"
	if err := os.WriteFile(csvFile, []byte(trace), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "sim", "--trace", csvFile, "--policies", "lru-node", "--references", "none",
		"--capacities", "0.5", "--forward-rtt-ms", "20", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []sim.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	// DenseNet loads (1099.4 ms), InceptionV3 is forwarded (20 ms), DenseNet hits.
	if len(rows) != 1 || rows[0].Forwards != 1 || rows[0].Hits != 1 || rows[0].TotalLoadDelay.Milliseconds() != 1119 {
		t.Fatalf("lru-node: %+v", rows)
	}
	for _, bad := range [][]string{{"--forward-rtt-ms", "-3"}, {"--forward-peer", "none"}, {"--policies", "lru-nowhere"}} {
		args := append([]string{"sim", "--trace", csvFile, "--policies", "lru-node", "--references", "none"}, bad...)
		if _, err := runCLI(t, args...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
