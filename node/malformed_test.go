package node

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"google.golang.org/grpc/codes"
)

// TestMalformedGRPC: bad requests get InvalidArgument, NotFound or
// ResourceExhausted, and the node keeps serving good ones.
func TestMalformedGRPC(t *testing.T) {
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.MaxRequestBytes = 64 << 10 })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	good := func() *pb.ModelInferRequest {
		return addRequest("adder", []float32{1, 2}, []float32{3, 4}, []int64{1, 2})
	}
	tests := []struct {
		name   string
		mutate func(*pb.ModelInferRequest)
		code   codes.Code
		msg    string
	}{
		{"unknown model", func(r *pb.ModelInferRequest) { r.ModelName = "nope" }, codes.NotFound, "not found"},
		{"unknown version", func(r *pb.ModelInferRequest) { r.ModelVersion = "9" }, codes.NotFound, "not found"},
		{"bad version", func(r *pb.ModelInferRequest) { r.ModelVersion = "x" }, codes.InvalidArgument, ""},
		{"empty model name", func(r *pb.ModelInferRequest) { r.ModelName = "" }, codes.InvalidArgument, "model name is empty"},
		{"wrong dtype", func(r *pb.ModelInferRequest) {
			r.Inputs[0].Datatype = "INT32"
		}, codes.InvalidArgument, "expects FP32"},
		{"unknown dtype", func(r *pb.ModelInferRequest) { r.Inputs[0].Datatype = "FLOAT" }, codes.InvalidArgument, "unsupported datatype"},
		{"wrong rank", func(r *pb.ModelInferRequest) { r.Inputs[0].Shape = []int64{2}; r.Inputs[1].Shape = []int64{2} }, codes.InvalidArgument, "has shape [2]"},
		{"byte count", func(r *pb.ModelInferRequest) { r.RawInputContents[0] = r.RawInputContents[0][:7] }, codes.InvalidArgument, "has 7 bytes"},
		{"missing input", func(r *pb.ModelInferRequest) {
			r.Inputs = r.Inputs[:1]
			r.RawInputContents = r.RawInputContents[:1]
		}, codes.InvalidArgument, `missing input "b"`},
		{"unknown input", func(r *pb.ModelInferRequest) { r.Inputs[1].Name = "c" }, codes.InvalidArgument, `missing input "b"`},
		{"unknown output", func(r *pb.ModelInferRequest) {
			r.Outputs = []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "zz"}}
		}, codes.InvalidArgument, `unknown output "zz"`},
		{"oversize", func(r *pb.ModelInferRequest) {
			big := make([]byte, 4*32<<10)
			r.Inputs[0].Shape, r.Inputs[1].Shape = []int64{1, 32 << 10}, []int64{1, 32 << 10}
			r.RawInputContents = [][]byte{big, big}
		}, codes.ResourceExhausted, "larger than max"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := good()
			tc.mutate(req)
			_, err := tn.infer.ModelInfer(testCtx(t), req)
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
	if _, err := tn.infer.ModelInfer(testCtx(t), good()); err != nil {
		t.Fatalf("a good request after the bad ones: %v", err)
	}
}

// TestMalformedHTTP: the same classes over HTTP map to 400/404/413.
func TestMalformedHTTP(t *testing.T) {
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.MaxRequestBytes = 4 << 10 })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	url := "http://" + tn.HTTPAddr() + "/v2/models/adder/infer"
	in := func(a, b string) string { return `{"inputs":[` + a + `,` + b + `]}` }
	a := `{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]}`
	b := `{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}`
	tests := []struct {
		name, url, body string
		status          int
		msg             string
	}{
		{"good", url, in(a, b), 200, `"data":[4,6]`},
		{"unknown model", strings.Replace(url, "adder", "nope", 1), in(a, b), 404, "not found"},
		{"not json", url, `{"inputs":[`, 400, "request body"},
		{"wrong dtype", url, in(a, strings.Replace(b, "FP32", "INT64", 1)), 400, "expects FP32"},
		{"element count", url, in(a, strings.Replace(b, "[3,4]", "[3]", 1)), 400, "shape needs 2"},
		{"wrong rank", url, in(strings.Replace(a, "[1,2]", "[2]", 1), strings.Replace(b, "[1,2]", "[2]", 1)), 400, "has shape [2]"},
		{"bool for float", url, in(a, strings.Replace(b, "[3,4]", "[true,false]", 1)), 400, "not a number"},
		{"oversize", url, in(a, strings.Replace(b, "[3,4]", "["+strings.Repeat("1,", 4<<10)+"1]", 1)), 413, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := httpDo(t, http.DefaultClient, "POST", tc.url, "", tc.body)
			if status != tc.status || !strings.Contains(body, tc.msg) {
				t.Fatalf("= %d %s, want %d mentioning %q", status, body, tc.status, tc.msg)
			}
		})
	}
}

// TestLoadFailures: a model that cannot load, or cannot fit the memory
// budget, fails with a clear code and the node keeps serving.
func TestLoadFailures(t *testing.T) {
	t.Run("unsupported operator", func(t *testing.T) {
		tn := startNode(t, nil)
		data, err := os.ReadFile(zooModel(t, "bad_unsupported_op"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = pushBytes(adminCtx(t), tn.admin, "bad", data, 0, len(data))
		wantCode(t, err, codes.InvalidArgument) // refused at push
		_, err = tn.infer.ModelInfer(testCtx(t), &pb.ModelInferRequest{ModelName: "bad"})
		wantCode(t, err, codes.NotFound)
	})
	t.Run("over budget", func(t *testing.T) {
		tn := startNode(t, func(c *Config, d *Deps) {
			c.Cache.MemoryBudgetBytes = 1 << 10
			d.Loader = chargedLoader{realLoader(t), 1 << 20} // a measured reading may round to 0
		})
		push(t, tn.admin, "mlp", zooModel(t, "tiny_mlp"))
		_, err := tn.infer.ModelInfer(testCtx(t), mlpRequest())
		wantCode(t, err, codes.ResourceExhausted)
		status, body := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/mlp/infer", "",
			`{"inputs":[{"name":"input","shape":[1,16],"datatype":"FP32","data":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]}`)
		// A reading over the whole budget may be an outlier: the model backs
		// off and is tried again later rather than refused for good.
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "budget is 1024 bytes") {
			t.Fatalf("HTTP over budget = %d %s, want a back-off after the over-budget reading", status, body)
		}
	})
}

// TestBadInputToEvictedModel: once a model's signature is known, a bad
// request for it after its eviction is refused without loading it again,
// and its metadata is answered without a load.
func TestBadInputToEvictedModel(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	ctx := testCtx(t)
	if _, err := tn.infer.ModelInfer(ctx, addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.infer.RepositoryModelUnload(adminCtx(t), &pb.RepositoryModelUnloadRequest{ModelName: "adder"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "unload", func() bool { return !tn.cache.Resident("adder:1") })
	wrongType := addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})
	wrongType.Inputs[1].Datatype, wrongType.RawInputContents[1] = "INT32", []byte{2, 0, 0, 0}
	for _, tc := range []struct {
		name string
		req  *pb.ModelInferRequest
	}{
		{"wrong datatype", wrongType},
		// A dynamic dimension must be at least 1 (runtime.Signature.Bind);
		// the wire format itself allows an empty tensor.
		{"zero-size dynamic dimension", addRequest("adder", nil, nil, []int64{1, 0})},
		{"missing input", &pb.ModelInferRequest{ModelName: "adder", Inputs: wrongType.Inputs[:1], RawInputContents: [][]byte{f32(1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tn.infer.ModelInfer(ctx, tc.req)
			wantCode(t, err, codes.InvalidArgument)
			if tn.cache.Resident("adder:1") {
				t.Fatal("the bad request loaded the evicted model")
			}
		})
	}
	md, err := tn.infer.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "adder"})
	if err != nil || len(md.GetInputs()) != 2 {
		t.Fatalf("metadata = %v, %v", md, err)
	}
	if tn.cache.Resident("adder:1") {
		t.Fatal("a bad request or a metadata call loaded the evicted model")
	}
}
