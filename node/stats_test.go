package node

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// wantMetrics fails unless the node's /metrics holds every line in want.
func wantMetrics(t *testing.T, tn *testNode, want ...string) {
	t.Helper()
	status, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.MetricsAddr()+"/metrics", "", "")
	for _, w := range want {
		if status != http.StatusOK || !strings.Contains(body, w+"\n") {
			t.Errorf("metrics (%d) lack %q; have:\n%s", status, w, grepLines(body, strings.FieldsFunc(w, func(r rune) bool { return r == '{' || r == ' ' })[0]))
		}
	}
}

// TestMetadataLoadsNothing: on a fresh node, ModelMetadata (gRPC and HTTP)
// answers from the stored model's signature without loading it, so the
// first inference is the one miss and the later ones are hits, in the
// metrics and in ModelStatistics.
func TestMetadataLoadsNothing(t *testing.T) {
	tn := startNode(t, nil)
	ctx := testCtx(t)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))

	md, err := tn.infer.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "adder"})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.GetInputs()) != 2 || md.GetInputs()[0].GetName() != "a" || md.GetInputs()[0].GetDatatype() != "FP32" ||
		len(md.GetOutputs()) != 1 || md.GetOutputs()[0].GetName() != "out" {
		t.Fatalf("ModelMetadata = %v", md)
	}
	status, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.HTTPAddr()+"/v2/models/adder", "", "")
	if status != http.StatusOK || !strings.Contains(body, `"name":"b"`) {
		t.Fatalf("HTTP metadata: %d %s", status, body)
	}
	if tn.cache.Resident("adder:1") {
		t.Fatal("metadata loaded the model")
	}
	wantMetrics(t, tn, `edgeserve_cache_misses_total 0`, `edgeserve_cache_loaded_models 0`)

	for range 3 {
		if _, err := tn.infer.ModelInfer(ctx, addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})); err != nil {
			t.Fatal(err)
		}
	}
	wantMetrics(t, tn,
		`edgeserve_requests_total{cache="miss",model="adder"} 1`,
		`edgeserve_requests_total{cache="hit",model="adder"} 2`,
		`edgeserve_cache_misses_total 1`,
		`edgeserve_cache_hits_total 2`,
		`edgeserve_cache_load_duration_seconds_count{model="adder"} 1`,
	)
	st, err := tn.infer.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Name: "adder"})
	if err != nil || len(st.GetModelStats()) != 1 {
		t.Fatalf("ModelStatistics = %v, %v", st, err)
	}
	is := st.GetModelStats()[0].GetInferenceStats()
	if is.GetCacheMiss().GetCount() != 1 || is.GetCacheHit().GetCount() != 2 {
		t.Errorf("statistics: %d misses, %d hits; want 1 and 2", is.GetCacheMiss().GetCount(), is.GetCacheHit().GetCount())
	}
}

// TestExplicitLoadCountsNoHitOrMiss: an operator's load is no request: it
// counts no miss, and the request after it is a hit.
func TestExplicitLoadCountsNoHitOrMiss(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	if _, err := tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "adder"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "adder"}); err != nil {
		t.Fatal(err)
	}
	wantMetrics(t, tn, `edgeserve_cache_misses_total 0`, `edgeserve_cache_hits_total 0`, `edgeserve_cache_loaded_models 1`)
	if _, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})); err != nil {
		t.Fatal(err)
	}
	wantMetrics(t, tn,
		`edgeserve_requests_total{cache="hit",model="adder"} 1`,
		`edgeserve_cache_misses_total 0`,
		`edgeserve_cache_hits_total 1`,
	)
}

// TestMetadataOfUnusableModel: a stored model whose graph declares an
// input the runtime cannot take gets FAILED_PRECONDITION from metadata (a
// stored model that cannot serve, as for a load that fails), naming
// the model and the input but no server path, and nothing is loaded.
func TestMetadataOfUnusableModel(t *testing.T) {
	tn := startNode(t, nil)
	str := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(onnxpb.TensorProto_STRING), Shape: &onnxpb.TensorShapeProto{}}}}}
	}
	model := &onnxpb.ModelProto{IrVersion: 8, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 17}},
		Graph: &onnxpb.GraphProto{Name: "g", Input: []*onnxpb.ValueInfoProto{str("words")}, Output: []*onnxpb.ValueInfoProto{str("same")},
			Node: []*onnxpb.NodeProto{{OpType: "Identity", Input: []string{"words"}, Output: []string{"same"}}}}}
	data, err := proto.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	// Straight into the store: a push may refuse such a model (issue 9
	// item 3), and a store written by an older node may hold one.
	file := filepath.Join(t.TempDir(), "strings.onnx")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	storeModel(t, tn, "strings", file)
	_, err = tn.infer.ModelMetadata(testCtx(t), &pb.ModelMetadataRequest{Name: "strings"})
	wantCode(t, err, codes.FailedPrecondition)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "strings:1") || !strings.Contains(msg, "words") || strings.Contains(msg, "/") {
		t.Errorf("message %q: want the model and the input named, and no path", msg)
	}
	if tn.cache.Resident("strings:1") {
		t.Error("metadata loaded the model")
	}
}
