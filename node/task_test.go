package node

import (
	"encoding/json"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/route"
	"github.com/edgeserve/edgeserve/placement/variant"
	"github.com/edgeserve/edgeserve/store"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// pushTask pushes the zoo model file as name, a model of task with the
// given accuracy.
func pushTask(t testing.TB, c adminpb.AdminServiceClient, name, file, task string, accuracy float64) {
	t.Helper()
	data, err := os.ReadFile(zooModel(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pushHeaderBytes(adminCtx(t), c, &adminpb.PushHeader{Name: name, Task: task, Accuracy: accuracy}, data, 0, len(data)); err != nil {
		t.Fatalf("push %s: %v", name, err)
	}
}

// taskRequest is mlpRequest for a task, with parameters (float64 budget
// and accuracy bounds, or strings).
func taskMLPRequest(task string, params map[string]any) *pb.ModelInferRequest {
	req := mlpRequest()
	req.ModelName = "task:" + task
	for k, v := range params {
		if req.Parameters == nil {
			req.Parameters = map[string]*pb.InferParameter{}
		}
		switch v := v.(type) {
		case float64:
			req.Parameters[k] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_DoubleParam{DoubleParam: v}}
		case string:
			req.Parameters[k] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_StringParam{StringParam: v}}
		case bool:
			req.Parameters[k] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_BoolParam{BoolParam: v}}
		}
	}
	return req
}

// TestTaskChoiceFollowsCacheAndBudget: requests for a task are served by
// the most accurate model that meets the budget where it is loaded: a less
// accurate loaded one when loading the accurate one would miss the budget,
// the accurate one when there is no budget (a load) and once it is loaded;
// the fastest, marked, when nothing can meet the budget. A model of the
// task whose inputs do not fit the request is never chosen.
func TestTaskChoiceFollowsCacheAndBudget(t *testing.T) {
	// Loads take 50 ms more, so that a load misses a 5 ms budget: the
	// node estimates a model it never loaded from the loads it measured.
	tn := startNode(t, func(_ *Config, d *Deps) { d.Loader = slowLoader{realLoader(t), 50 * time.Millisecond} })
	pushTask(t, tn.admin, "mlp-fast", "tiny_mlp", "classify", 0.70)
	pushTask(t, tn.admin, "mlp-accurate", "tiny_mlp", "classify", 0.90)
	pushTask(t, tn.admin, "adder", "add_fp32", "classify", 0.99) // other inputs
	if _, err := tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp-fast"}); err != nil {
		t.Fatal(err)
	}
	check := func(what string, params map[string]any, model, route string, missed bool) {
		t.Helper()
		resp, err := tn.infer.ModelInfer(testCtx(t), taskMLPRequest("classify", params))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		p := resp.GetParameters()
		if resp.GetModelName() != model || p[paramVariant].GetStringParam() != model+":1" || p[paramTaskOut].GetStringParam() != "classify" {
			t.Fatalf("%s: served by %s (variant %q), want %s", what, resp.GetModelName(), p[paramVariant].GetStringParam(), model)
		}
		if got := param(resp, "edgeserve_route"); got != route {
			t.Fatalf("%s: route %s, want %s", what, got, route)
		}
		if got := p[paramMissed].GetBoolParam(); got != missed {
			t.Fatalf("%s: budget missed %v, want %v", what, got, missed)
		}
		if len(resp.GetOutputs()) == 0 {
			t.Fatalf("%s: no outputs", what)
		}
	}
	// The accurate model would need a load (50 ms and more, as the node
	// measured mlp-fast's): a 5 ms budget takes the loaded one.
	check("5 ms budget, accurate model not loaded", map[string]any{paramBudget: 5.0}, "mlp-fast", "hit", false)
	check("no model can answer in 1 µs", map[string]any{paramBudget: 0.001}, "mlp-fast", "hit", true)
	check("no budget", nil, "mlp-accurate", "load", false)
	check("5 ms budget, both loaded", map[string]any{paramBudget: "5"}, "mlp-accurate", "hit", false)

	if got := promtest.ToFloat64(tn.metrics.tasks.WithLabelValues("classify", "mlp-fast", budgetMissed)); got != 1 {
		t.Fatalf("task requests of mlp-fast with the budget missed: %v, want 1", got)
	}
	if got := promtest.ToFloat64(tn.metrics.tasks.WithLabelValues("classify", "mlp-accurate", budgetNone)); got != 1 {
		t.Fatalf("task requests of mlp-accurate without budget: %v, want 1", got)
	}

	// Over HTTP, by the model name in the path.
	body := `{"parameters":{"latency_budget_ms":5},"inputs":[{"name":"input","shape":[1,16],"datatype":"FP32","data":[` +
		strings.TrimSuffix(strings.Repeat("0,", 16), ",") + `]}]}`
	status, out := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/task:classify/infer", "", body)
	var js struct {
		ModelName  string         `json:"model_name"`
		Parameters map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(out), &js); status != http.StatusOK || err != nil {
		t.Fatalf("HTTP: %d %s (%v)", status, out, err)
	}
	if js.ModelName != "mlp-accurate" || js.Parameters[paramVariant] != "mlp-accurate:1" || js.Parameters["edgeserve_route"] != "hit" {
		t.Fatalf("HTTP: %s", out)
	}

	// The metadata of a task is the signature of its most accurate model
	// (the adder's here: one input named "a").
	md, err := tn.infer.ModelMetadata(testCtx(t), &pb.ModelMetadataRequest{Name: "task:classify"})
	if err != nil || md.GetName() != "task:classify" || len(md.GetInputs()) == 0 || md.GetInputs()[0].GetName() == "input" {
		t.Fatalf("task metadata: %v, %v", md, err)
	}
}

// TestTaskRequestErrors: bad task requests get clear errors and change
// nothing.
func TestTaskRequestErrors(t *testing.T) {
	tn := startNode(t, nil)
	pushTask(t, tn.admin, "mlp-fast", "tiny_mlp", "classify", 0.70)
	pushTask(t, tn.admin, "adder", "add_fp32", "classify", 0.99)
	tests := []struct {
		name   string
		req    *pb.ModelInferRequest
		code   codes.Code
		substr string
	}{
		{"unknown task", taskMLPRequest("detect", nil), codes.NotFound, `no model in the catalog has task "detect"`},
		{"min accuracy above every fitting model", taskMLPRequest("classify", map[string]any{paramMinAcc: 0.95}), codes.NotFound, "reaches accuracy 0.95"},
		{"min accuracy not a fraction", taskMLPRequest("classify", map[string]any{paramMinAcc: 95.0}), codes.InvalidArgument, "fraction"},
		{"negative budget", taskMLPRequest("classify", map[string]any{paramBudget: -1.0}), codes.InvalidArgument, paramBudget},
		{"budget not a number", taskMLPRequest("classify", map[string]any{paramBudget: "soon"}), codes.InvalidArgument, "not a number"},
		{"budget of a bad type", taskMLPRequest("classify", map[string]any{paramBudget: true}), codes.InvalidArgument, "string or a number"},
		{"two different tasks", taskMLPRequest("classify", map[string]any{paramTask: "detect"}), codes.InvalidArgument, "different tasks"},
		{"bad task name", taskMLPRequest("a/../b", nil), codes.InvalidArgument, "task"},
	}
	withVersion := taskMLPRequest("classify", nil)
	withVersion.ModelVersion = "1"
	tests = append(tests, struct {
		name   string
		req    *pb.ModelInferRequest
		code   codes.Code
		substr string
	}{"a version with a task", withVersion, codes.InvalidArgument, "names no version"})
	noFit := taskMLPRequest("classify", nil)
	noFit.Inputs[0].Shape = []int64{1, 3}
	noFit.Inputs[0].Contents.Fp32Contents = make([]float32, 3)
	tests = append(tests, struct {
		name   string
		req    *pb.ModelInferRequest
		code   codes.Code
		substr string
	}{"inputs no model takes", noFit, codes.InvalidArgument, "accepts these inputs"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tn.infer.ModelInfer(testCtx(t), tc.req)
			if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("got %v, want %v containing %q", err, tc.code, tc.substr)
			}
		})
	}
	if tn.cache.Resident("mlp-fast:1") || tn.cache.Resident("adder:1") {
		t.Fatal("a refused task request loaded a model")
	}
	// The task parameter on a request that names a model selects too.
	req := mlpRequest()
	req.ModelName = "anything"
	req.Parameters = map[string]*pb.InferParameter{paramTask: {ParameterChoice: &pb.InferParameter_StringParam{StringParam: "classify"}}}
	resp, err := tn.infer.ModelInfer(testCtx(t), req)
	if err != nil || resp.GetModelName() != "mlp-fast" {
		t.Fatalf("task parameter: %v, %v", resp.GetModelName(), err)
	}
}

// TestTaskForwardsToPeerWithinBudget: the accurate model is loaded only on
// a peer; forwarding there is within the budget, so it serves the request
// rather than the less accurate model loaded here, and the peer receives a
// request for that model, not for the task.
func TestTaskForwardsToPeerWithinBudget(t *testing.T) {
	a := clusterNode(t, "a", "127.0.3.21")
	b := clusterNode(t, "b", "127.0.3.22", a.cluster.g.Addr())
	pushTask(t, a.admin, "mlp-accurate", "tiny_mlp", "classify", 0.90)
	pushTask(t, b.admin, "mlp-fast", "tiny_mlp", "classify", 0.70)
	for _, n := range []struct {
		tn    *testNode
		model string
	}{{a, "mlp-accurate"}, {b, "mlp-fast"}} {
		if _, err := n.tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: n.model}); err != nil {
			t.Fatal(err)
		}
	}
	loadedAt(t, b, "a", "mlp-accurate:1")
	resp, err := b.infer.ModelInfer(testCtx(t), taskMLPRequest("classify", map[string]any{paramBudget: 150.0}))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetModelName() != "mlp-accurate" || param(resp, "edgeserve_route") != "forward-hit" || param(resp, "edgeserve_served_by") != "a" ||
		param(resp, paramVariant) != "mlp-accurate:1" {
		t.Fatalf("served by %s (%s on %s), want mlp-accurate forwarded to a", resp.GetModelName(), param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
	}
	if got := promtest.ToFloat64(a.metrics.tasks.WithLabelValues("classify", "mlp-accurate", budgetMet)); got != 0 {
		t.Fatal("the peer chose again: the forwarded request named the task")
	}
	if b.cache.Resident("mlp-accurate:1") {
		t.Fatal("b loaded the model it forwarded")
	}
}

// FuzzParseTask: any model name, version and parameters give a task
// request within bounds, a request for a model, or an error; never a
// panic.
func FuzzParseTask(f *testing.F) {
	f.Add("task:classify", "", "0.5", "20")
	f.Add("task:", "1", "x", "-1")
	f.Add("model", "", "NaN", "1e300")
	f.Fuzz(func(t *testing.T, model, version, minAcc, budget string) {
		params := map[string]any{paramMinAcc: minAcc, paramBudget: budget}
		tr, isTask, err := parseTask(model, version, jsonParam(params))
		if err != nil || !isTask {
			return
		}
		if tr.Task == "" || !(tr.MinAccuracy >= 0 && tr.MinAccuracy <= 1) || tr.Budget < 0 || tr.Budget > maxBudget {
			t.Fatalf("out of bounds: %+v from %q %q %q %q", tr, model, version, minAcc, budget)
		}
	})
}

// substituteRecorder is a modelCache that records SetSubstitute.
type substituteRecorder struct {
	modelCache
	subs map[string]time.Duration
}

func (r *substituteRecorder) SetSubstitute(key string, cost time.Duration) bool {
	r.subs[key] = cost
	return true
}

// TestSetSubstitutes: each model of a task learns what its best loaded
// equivalent within the budget would cost in its stead: the extra run
// time plus the accuracy given up; a model with none learns NoSubstitute.
func TestSetSubstitutes(t *testing.T) {
	rec := &substituteRecorder{subs: map[string]time.Duration{}}
	n := &Node{cache: rec, stats: newStats()}
	ms := time.Millisecond
	recs := []store.Record{{Name: "big", Version: 1, SizeBytes: 99e6}, {Name: "mid", Version: 1, SizeBytes: 9e6}, {Name: "small", Version: 1, SizeBytes: 4e6}}
	cands := []variant.Candidate{
		{Name: "big", Version: "1", Accuracy: 0.95, Latency: 300 * ms, Where: route.Load},
		{Name: "mid", Version: "1", Accuracy: 0.90, Latency: 10 * ms, Where: route.Hit},
		{Name: "small", Version: "1", Accuracy: 0.72, Latency: 5 * ms, Where: route.Hit},
	}
	n.setSubstitutes(recs, cands, 50*ms)
	// big (run prior 100 ms) by mid (10 ms): no extra time, 5 points.
	if got, want := rec.subs["big:1"], 5*policy.DefaultAccuracyPointCost; got != want {
		t.Errorf("big: %v, want %v", got, want)
	}
	// mid by small: 18 points; small by mid: mid's extra run time only.
	if got, want := rec.subs["mid:1"], 18*policy.DefaultAccuracyPointCost; got != want {
		t.Errorf("mid: %v, want %v", got, want)
	}
	if got, want := rec.subs["small:1"], route.EstimateRun(9e6)-route.EstimateRun(4e6); got != want {
		t.Errorf("small: %v, want %v", got, want)
	}
	n.setSubstitutes(recs, cands, 7*ms) // only small is within 7 ms
	if rec.subs["small:1"] != policy.NoSubstitute || rec.subs["mid:1"] != 18*policy.DefaultAccuracyPointCost {
		t.Errorf("with a 7 ms budget: %v", rec.subs)
	}
}
