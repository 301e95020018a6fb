package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// LongEnv enables the longer scenarios; `make e2e` sets it.
const longEnv = "EDGESERVE_E2E_LONG"

// long skips a longer scenario unless longEnv is set.
func long(t *testing.T) {
	t.Helper()
	if os.Getenv(longEnv) == "" {
		t.Skipf("a longer scenario: set %s=1 (make e2e runs it)", longEnv)
	}
}

// TestReplayAzureKillNode: two regions of two nodes, each its own site; a
// window of the Azure sample mapped onto three models, replayed from the
// four sites; one node is killed (kill -9) while it serves. Its clients'
// requests fail over to other nodes (client retries): at least 99.9% of
// the requests are answered, the kill shows as failed attempts at that
// node, and the routes of the answers add up.
func TestReplayAzureKillNode(t *testing.T) {
	long(t)
	sample, err := trace.FindAzureSample()
	if err != nil {
		t.Fatal(err)
	}
	n1 := startNode(t, "edge-eu-1", "127.0.0.1", "--region", "eu", "--site", "eu-1")
	n2 := startNode(t, "edge-eu-2", "127.0.0.2", "--region", "eu", "--site", "eu-2", "--join", n1.gossip)
	n3 := startNode(t, "edge-us-1", "127.0.0.3", "--region", "us", "--site", "us-1", "--join", n1.gossip)
	n4 := startNode(t, "edge-us-2", "127.0.0.4", "--region", "us", "--site", "us-2", "--join", n1.gossip)
	nodes := []*proc{n1, n2, n3, n4}
	models := []string{"add_fp32", "tiny_mlp", "mobilenet_v1_0.25"}
	for i, m := range models {
		cli(t, "models", "push", m, testnode.ZooFile(t, m), "--addr", nodes[i].grpc)
	}
	waitForCatalog(t, nodes, len(models))

	// The Azure sample has no sites: requests go to the four nodes in turn.
	done := replayAsync(t, "--azure", sample, "--start", "10", "--minutes", "0.25", "--speed", "0.25",
		"--node", "eu-1="+n1.grpc, "--node", "eu-2="+n2.grpc, "--node", "us-1="+n3.grpc, "--node", "us-2="+n4.grpc,
		"--retries", "2", "--concurrency", "32", "--timeout", "5m")
	testutil.Eventually(t, n4.name+" serves 300 requests", func() bool { return served(n4, models) >= 300 })
	n4.kill(t)
	res := <-done
	if res.err != nil {
		t.Fatalf("replay: %v\n%s", res.err, res.stderr)
	}
	rep := res.report
	t.Logf("%d requests: success %.4f (first try %.4f), retried %d, recovered %d; routes %v; latency %v; errors %v",
		rep.Sent, rep.SuccessRate, rep.FirstTrySuccessRate, rep.Retried, rep.Recovered, rep.Routes, rep.Latency, rep.Errors)
	if rep.Sent != rep.Planned || rep.SuccessRate < 0.999 || rep.Nodes[3].Failed == 0 || rep.Recovered == 0 {
		t.Fatalf("replay: %+v; want every request sent, at least 99.9%% answered, failures at the killed node recovered elsewhere", rep)
	}
	checkRoutes(t, rep, nodes)
}

// served is how many requests of models the node has run, from its
// statistics over HTTP.
func served(p *proc, models []string) int {
	total := 0
	for _, m := range models {
		resp, err := http.Get("http://" + p.http + "/v2/models/" + m + "/stats")
		if err != nil {
			return 0
		}
		var st struct {
			ModelStats []struct {
				InferenceCount json.Number `json:"inference_count"`
			} `json:"model_stats"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		for _, s := range st.ModelStats {
			n, _ := s.InferenceCount.Int64()
			total += int(n)
		}
		if err != nil {
			return 0
		}
	}
	return total
}

// replayResult is what a replay run in the background ended with.
type replayResult struct {
	report *replay.Report
	stderr string
	err    error
}

// replayAsync starts `edgeserve replay --json` with args and returns a
// channel that delivers its report when it ends.
func replayAsync(t *testing.T, args ...string) <-chan replayResult {
	t.Helper()
	cmd := exec.Command(filepath.Join(bins(t), "edgeserve"), append([]string{"replay", "--json"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = dieWithTest()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done, exited := make(chan replayResult, 1), make(chan struct{})
	go func() {
		res := replayResult{err: cmd.Wait()}
		close(exited)
		res.stderr = errb.String()
		if res.err == nil {
			res.report = &replay.Report{}
			res.err = json.Unmarshal(out.Bytes(), res.report)
		}
		done <- res
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // it may have ended
		<-exited
	})
	return done
}
