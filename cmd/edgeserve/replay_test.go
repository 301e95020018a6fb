package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// writeTrace writes a CSV trace file and returns its path.
func writeTraceFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func replayReport(t *testing.T, args ...string) *replay.Report {
	t.Helper()
	out, err := runCLI(t, append([]string{"replay", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("replay %v: %v", args, err)
	}
	var rep replay.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out)
	}
	return &rep
}

// TestReplayCommand: a CSV trace with sites, one request at a time
// against one real node: the first request loads the model, the others
// hit it; the text report says so.
func TestReplayCommand(t *testing.T) {
	addr := startTestNode(t, "")
	mustCLI(t, "models", "push", "adder", testnode.ZooFile(t, "add_fp32"), "--addr", addr)
	var b strings.Builder
	b.WriteString("time_ms,model,site\n")
	for i := range 12 {
		fmt.Fprintf(&b, "%d,adder,%s\n", i*5, []string{"s1", "s2", "s3"}[i%3])
	}
	file := writeTraceFile(t, b.String())
	rep := replayReport(t, "--trace", file, "--node", "s1="+addr, "--speed", "0", "--concurrency", "1")
	if rep.Planned != 12 || rep.OK != 12 || rep.SuccessRate != 1 || rep.Routes["load"] != 1 || rep.Routes["hit"] != 11 ||
		len(rep.Nodes) != 1 || rep.Nodes[0].First != 12 || rep.Nodes[0].Site != "s1" {
		t.Fatalf("report %+v", rep)
	}
	out := mustCLI(t, "replay", "--trace", file, "--node", addr, "--speed", "0", "--start", "0.0005", "--minutes", "0.0005")
	for _, want := range []string{"6 of 6 requests", "100.00% (6 of 6)", "hit 6", addr} {
		if !strings.Contains(out, want) {
			t.Fatalf("text report lacks %q:\n%s", want, out)
		}
	}
}

// TestReplayAzureSample: a window of the Azure sample, its functions
// dealt onto the models the node serves as the simulator deals them.
func TestReplayAzureSample(t *testing.T) {
	dir, err := trace.FindAzureSample()
	if err != nil {
		t.Skip(err)
	}
	addr := startTestNode(t, "")
	mustCLI(t, "models", "push", "adder", testnode.ZooFile(t, "add_fp32"), "--addr", addr)
	mustCLI(t, "models", "push", "mlp", testnode.ZooFile(t, "tiny_mlp"), "--addr", addr)
	rep := replayReport(t, "--azure", dir, "--start", "2", "--minutes", "0.5", "--max-requests", "30", "--speed", "0", "--concurrency", "1", "--node", addr)
	if rep.Planned != 30 || rep.OK != 30 || rep.Routes["load"] != 2 || rep.Routes["hit"] != 28 {
		t.Fatalf("report %+v; want 30 requests over both models, each loaded once", rep)
	}
}

// TestReplayCommandErrors: bad flags and malformed traces get errors
// that say what is wrong, before anything is sent.
func TestReplayCommandErrors(t *testing.T) {
	addr := startTestNode(t, "")
	mustCLI(t, "models", "push", "adder", testnode.ZooFile(t, "add_fp32"), "--addr", addr)
	good := writeTraceFile(t, "time_ms,model\n0,adder\n1,adder\n")
	node := "--node=s=" + addr
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no node", []string{"--trace", good}, "give at least one --node"},
		{"bad node", []string{"--trace", good, "--node", "s=localhost"}, `replay: node "s=localhost"`},
		{"node twice", []string{"--trace", good, node, node}, "given twice"},
		{"no trace", []string{node}, "give exactly one of --trace and --azure"},
		{"two traces", []string{node, "--trace", good, "--azure", good}, "give exactly one of --trace and --azure"},
		{"missing file", []string{node, "--trace", good + ".missing"}, "no such file"},
		{"bad header", []string{node, "--trace", writeTraceFile(t, "time,model\n0,adder\n")}, "line 1: header"},
		{"out of order", []string{node, "--trace", writeTraceFile(t, "time_ms,model\n5,adder\n1,adder\n")}, "line 3: time_ms 1 is before"},
		{"bad time", []string{node, "--trace", writeTraceFile(t, "time_ms,model\n-1,adder\n")}, `line 2: time_ms "-1"`},
		{"empty model", []string{node, "--trace", writeTraceFile(t, "time_ms,model,site\n0,,s\n")}, "line 2: model: empty name"},
		{"short line", []string{node, "--trace", writeTraceFile(t, "time_ms,model,site\n0,adder\n")}, "wrong number of fields"},
		{"empty window", []string{node, "--trace", good, "--start", "1"}, "no requests in the window"},
		{"negative window", []string{node, "--trace", good, "--minutes", "-1"}, "--minutes -1"},
		{"negative count", []string{node, "--trace", good, "--max-requests", "-1"}, "--max-requests -1"},
		{"negative speed", []string{node, "--trace", good, "--speed", "-1"}, "speed -1"},
		{"no concurrency", []string{node, "--trace", good, "--concurrency", "0"}, "concurrency 0"},
		{"per-function", []string{node, "--trace", good, "--mapping", "per-function"}, `mapping "per-function"`},
		{"unknown model", []string{node, "--trace", writeTraceFile(t, "time_ms,model\n0,adder\n0,nope\n"), "--mapping", "name"},
			"does not serve 1 of the trace's 2 models: nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, append([]string{"replay", "--speed", "0"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("replay %v = %v (output %q); want an error containing %q", tt.args, err, out, tt.want)
			}
			if out != "" {
				t.Fatalf("a failed replay printed a report: %s", out)
			}
		})
	}
}
