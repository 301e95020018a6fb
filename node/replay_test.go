package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/placement/trace"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// ReplayEnv gates TestReplayAzureSample: the replay's length in seconds.
const replayEnv = "EDGESERVE_REPLAY_SECONDS"

// replayBudgetsEnv picks the budgets TestReplayAzureSample replays at, a
// comma-separated subset of all, half and quarter (default all three): a
// 10-minute replay at each is half an hour.
const replayBudgetsEnv = "EDGESERVE_REPLAY_BUDGETS"

// replayModels are the six zoo models the replay's functions are dealt to.
var replayModels = []string{"mobilenet_v1_1.0", "nasnet_mobile", "densenet121", "resnet50", "inception_v4", "inception_v3"}

// TestReplayAzureSample replays the first seconds of the shared Azure
// Functions sample, thinned to 3% and dealt over six zoo models, against
// one in-process node over loopback gRPC, with every model fitting and at
// a half and a quarter of the all-loaded charge. It reports the share of
// requests served and the p99 of those served (docs/memory.md). Set
// EDGESERVE_REPLAY_SECONDS to run it; it is bounded by that length plus
// each request's 10 s deadline.
func TestReplayAzureSample(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv(replayEnv))
	if secs <= 0 {
		t.Skipf("set %s to replay the Azure sample", replayEnv)
	}
	reqs := replayTrace(t, time.Duration(secs)*time.Second)
	full := allLoadedCharge(t)
	t.Logf("replay: %d requests over %d s (%.1f/s); all six loaded charge %.1f MB", len(reqs), secs,
		float64(len(reqs))/float64(secs), float64(full)/1e6)
	for _, frac := range []struct {
		name  string
		bytes int64
	}{{"all", 4 << 30}, {"half", full / 2}, {"quarter", full / 4}} {
		if !replayBudgetWanted(frac.name) {
			continue
		}
		r := replayOnce(t, reqs, frac.bytes)
		t.Logf("budget %s (%.1f MB): served %d/%d (%.1f%%), resource exhausted %d, other errors %d, p50 %v, p99 %v",
			frac.name, float64(frac.bytes)/1e6, r.served, len(reqs), 100*float64(r.served)/float64(len(reqs)),
			r.exhausted, r.other, r.quantile(0.50), r.quantile(0.99))
	}
}

// replayBudgetWanted reports whether $EDGESERVE_REPLAY_BUDGETS (unset: all
// three) names the budget.
func replayBudgetWanted(name string) bool {
	want := os.Getenv(replayBudgetsEnv)
	return want == "" || slices.Contains(strings.Split(want, ","), name)
}

// replayRequest is one request of the replay: when and which zoo model.
type replayRequest struct {
	at    time.Duration
	model string
}

// replayRate is the replay's mean request rate (per second): the issue's
// replay of a 3% sample ran at about 6 requests a second.
const replayRate = 6.0

// replayTrace reads the sample's first minutes, keeps requests within
// length at random (seeded) to a mean of replayRate a second, and deals
// each function to one of replayModels.
func replayTrace(t *testing.T, length time.Duration) []replayRequest {
	dir, err := trace.FindAzureSample()
	if err != nil {
		t.Skip(err)
	}
	f, err := os.Open(filepath.Join(dir, trace.SampleFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := trace.DefaultAzureConfig()
	cfg.Minutes = int(length/time.Minute) + 1
	tr, err := trace.ReadAzure(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	deal := rng.Perm(len(tr.Models))
	var within int
	for _, r := range tr.Requests {
		if r.Time < length {
			within++
		}
	}
	keep := replayRate * length.Seconds() / float64(max(within, 1))
	var out []replayRequest
	for _, r := range tr.Requests {
		if r.Time < length && rng.Float64() < keep {
			out = append(out, replayRequest{at: r.Time, model: replayModels[deal[r.Model]%len(replayModels)]})
		}
	}
	return out
}

// allLoadedCharge loads the six models on a node with room for all and
// returns what its cache charges for them.
func allLoadedCharge(t *testing.T) int64 {
	tn := replayNode(t, 4<<30)
	defer tn.stop(t)
	for _, m := range replayModels {
		if _, err := tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: m}); err != nil {
			t.Fatalf("LoadModel(%s): %v", m, err)
		}
	}
	st := tn.cache.(placementCache).c.Status()
	for _, m := range st.Models {
		t.Logf("all loaded: %s charged %.1f MB", m.Name, float64(m.Bytes)/1e6)
	}
	return st.UsedBytes
}

// replayNode starts a node with the six models pushed and their prepared
// forms made (each loaded once and unloaded), under budget bytes; a model
// that does not fit alone is logged and left to the replay. The pushes'
// background preparations may still run during these first loads and
// inflate their readings, as they would on a node serving while models
// arrive.
func replayNode(t *testing.T, budget int64) *testNode {
	tn := startNode(t, func(c *Config, _ *Deps) { c.Cache.MemoryBudgetBytes = budget })
	for _, m := range replayModels {
		push(t, tn.admin, m, zooModel(t, m))
	}
	for _, m := range replayModels {
		if _, err := tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: m}); err != nil {
			t.Logf("budget %d: LoadModel(%s): %v", budget, m, err)
			continue
		}
		if _, err := tn.admin.UnloadModel(adminCtx(t), &adminpb.UnloadModelRequest{Name: m}); err != nil {
			t.Fatalf("UnloadModel(%s): %v", m, err)
		}
	}
	return tn
}

// replayResult counts a replay's outcomes.
type replayResult struct {
	mu               sync.Mutex
	latencies        []time.Duration // of the requests served
	served           int
	exhausted, other int
}

func (r *replayResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

// replayOnce sends reqs at their times, open loop, to a fresh node with
// budget bytes.
func replayOnce(t *testing.T, reqs []replayRequest, budget int64) *replayResult {
	tn := replayNode(t, budget)
	defer tn.stop(t)
	bodies := make(map[string]*pb.ModelInferRequest)
	for _, m := range replayModels {
		bodies[m] = replayBody(t, tn, m)
	}
	res := &replayResult{}
	var wg sync.WaitGroup
	start := time.Now()
	for _, rq := range reqs {
		time.Sleep(time.Until(start.Add(rq.at)))
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			began := time.Now()
			_, err := tn.infer.ModelInfer(ctx, bodies[rq.model])
			res.record(time.Since(began), err)
		})
	}
	wg.Wait()
	if res.other > 0 {
		t.Logf("budget %d: %d requests failed for other reasons", budget, res.other)
	}
	return res
}

func (r *replayResult) record(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch status.Code(err) {
	case codes.OK:
		r.served++
		r.latencies = append(r.latencies, d)
	case codes.ResourceExhausted:
		r.exhausted++
	default:
		r.other++
	}
}

// replayBody is a request for model with inputs shaped by its metadata.
func replayBody(t *testing.T, tn *testNode, model string) *pb.ModelInferRequest {
	md, err := tn.infer.ModelMetadata(testCtx(t), &pb.ModelMetadataRequest{Name: model})
	if err != nil {
		t.Fatal(fmt.Errorf("metadata of %s: %w", model, err))
	}
	req := &pb.ModelInferRequest{ModelName: model}
	for _, in := range md.GetInputs() {
		tensor := benchTensor(in)
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: tensor.Name, Datatype: in.GetDatatype(), Shape: tensor.Shape})
		req.RawInputContents = append(req.RawInputContents, tensor.Data)
	}
	return req
}
