package node

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/node/codec"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
)

func f32(v ...float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func readF32(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func addRequest(model string, a, b []float32, shape []int64) *pb.ModelInferRequest {
	return &pb.ModelInferRequest{ModelName: model, Id: "req-1",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "a", Datatype: "FP32", Shape: shape},
			{Name: "b", Datatype: "FP32", Shape: shape},
		},
		RawInputContents: [][]byte{f32(a...), f32(b...)},
	}
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("err = %v, want code %v", err, code)
	}
}

// TestGRPCInferenceService exercises every RPC of the inference service
// with the generated client over loopback, on add_fp32 through ONNX Runtime.
func TestGRPCInferenceService(t *testing.T) {
	tn := startNode(t, nil)
	ctx := testCtx(t)
	info := push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	if info.GetVersion() != "1" || info.GetLoaded() {
		t.Fatalf("pushed model info = %v", info)
	}

	live, err := tn.infer.ServerLive(ctx, &pb.ServerLiveRequest{})
	if err != nil || !live.GetLive() {
		t.Fatalf("ServerLive = %v, %v", live, err)
	}
	ready, err := tn.infer.ServerReady(ctx, &pb.ServerReadyRequest{})
	if err != nil || !ready.GetReady() {
		t.Fatalf("ServerReady = %v, %v", ready, err)
	}
	meta, err := tn.infer.ServerMetadata(ctx, &pb.ServerMetadataRequest{})
	if err != nil || meta.GetName() != "edgeserve" || !slices.Contains(meta.GetExtensions(), "model_repository") {
		t.Fatalf("ServerMetadata = %v, %v", meta, err)
	}
	mr, err := tn.infer.ModelReady(ctx, &pb.ModelReadyRequest{Name: "adder"})
	if err != nil || mr.GetReady() {
		t.Fatalf("ModelReady before any request = %v, %v; want not ready", mr, err)
	}

	resp, err := tn.infer.ModelInfer(ctx, addRequest("adder", []float32{1, 2, 3, 4}, []float32{10, 20, 30, 40.5}, []int64{2, 2}))
	if err != nil {
		t.Fatal(err)
	}
	if got := readF32(resp.GetRawOutputContents()[0]); !slices.Equal(got, []float32{11, 22, 33, 44.5}) {
		t.Fatalf("sum = %v", got)
	}
	out := resp.GetOutputs()[0]
	if resp.GetId() != "req-1" || resp.GetModelVersion() != "1" || out.GetDatatype() != "FP32" || !slices.Equal(out.GetShape(), []int64{2, 2}) {
		t.Fatalf("response = %v", resp)
	}

	// Typed contents, another batch size (dynamic dimension), explicit version.
	typed := &pb.ModelInferRequest{ModelName: "adder", ModelVersion: "1",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "b", Datatype: "FP32", Shape: []int64{1, 3}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{1, 1, 1}}},
			{Name: "a", Datatype: "FP32", Shape: []int64{1, 3}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{-1, 0, 2}}},
		},
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "out"}},
	}
	resp, err = tn.infer.ModelInfer(ctx, typed)
	if err != nil {
		t.Fatal(err)
	}
	if got := readF32(resp.GetRawOutputContents()[0]); !slices.Equal(got, []float32{0, 1, 3}) {
		t.Fatalf("typed sum = %v", got)
	}

	mr, err = tn.infer.ModelReady(ctx, &pb.ModelReadyRequest{Name: "adder", Version: "1"})
	if err != nil || !mr.GetReady() {
		t.Fatalf("ModelReady after a request = %v, %v", mr, err)
	}
	md, err := tn.infer.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "adder"})
	if err != nil {
		t.Fatal(err)
	}
	if md.GetPlatform() != "onnxruntime_onnx" || !slices.Equal(md.GetVersions(), []string{"1"}) || len(md.GetInputs()) != 2 ||
		md.GetInputs()[0].GetDatatype() != "FP32" || !slices.Equal(md.GetInputs()[0].GetShape(), []int64{-1, -1}) || md.GetOutputs()[0].GetName() != "out" {
		t.Fatalf("ModelMetadata = %v", md)
	}

	st, err := tn.infer.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Name: "adder"})
	if err != nil {
		t.Fatal(err)
	}
	ms := st.GetModelStats()
	if len(ms) != 1 || ms[0].GetInferenceCount() != 2 || ms[0].GetInferenceStats().GetCacheMiss().GetCount() != 1 ||
		ms[0].GetInferenceStats().GetCacheHit().GetCount() != 1 || ms[0].GetLastInference() == 0 {
		t.Fatalf("ModelStatistics = %v", ms)
	}

	idx, err := tn.infer.RepositoryIndex(ctx, &pb.RepositoryIndexRequest{})
	if err != nil || len(idx.GetModels()) != 1 || idx.GetModels()[0].GetState() != "READY" {
		t.Fatalf("RepositoryIndex = %v, %v", idx, err)
	}
	if _, err := tn.infer.RepositoryModelUnload(adminCtx(t), &pb.RepositoryModelUnloadRequest{ModelName: "adder"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "unload", func() bool {
		mr, err := tn.infer.ModelReady(ctx, &pb.ModelReadyRequest{Name: "adder"})
		return err == nil && !mr.GetReady()
	})
	idx, err = tn.infer.RepositoryIndex(ctx, &pb.RepositoryIndexRequest{Ready: true})
	if err != nil || len(idx.GetModels()) != 0 {
		t.Fatalf("ready-only index after unload = %v, %v", idx, err)
	}
	if _, err := tn.infer.RepositoryModelLoad(adminCtx(t), &pb.RepositoryModelLoadRequest{ModelName: "adder"}); err != nil {
		t.Fatal(err)
	}
	mr, err = tn.infer.ModelReady(ctx, &pb.ModelReadyRequest{Name: "adder"})
	if err != nil || !mr.GetReady() {
		t.Fatalf("ModelReady after load = %v, %v", mr, err)
	}

	h, err := healthpb.NewHealthClient(tn.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", h, err)
	}
}

// TestAdminService: push, list, load, unload, delete, with the token.
func TestAdminService(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	push(t, tn.admin, "mlp", zooModel(t, "tiny_mlp"))
	v2 := push(t, tn.admin, "mlp", zooModel(t, "add_fp32"))
	if v2.GetVersion() != "2" {
		t.Fatalf("second push version = %q, want 2", v2.GetVersion())
	}
	if _, err := tn.admin.LoadModel(ctx, &adminpb.LoadModelRequest{Name: "mlp", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	list, err := tn.admin.ListModels(ctx, &adminpb.ListModelsRequest{})
	if err != nil || len(list.GetModels()) != 2 || !list.GetModels()[0].GetLoaded() || list.GetModels()[1].GetLoaded() {
		t.Fatalf("ListModels = %v, %v", list, err)
	}
	if _, err := tn.admin.UnloadModel(ctx, &adminpb.UnloadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "unload", func() bool { return !tn.cache.Resident("mlp:1") })
	if _, err := tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "mlp", Version: "2"}); err != nil {
		t.Fatal(err)
	}
	list, err = tn.admin.ListModels(ctx, &adminpb.ListModelsRequest{})
	if err != nil || len(list.GetModels()) != 1 || list.GetModels()[0].GetVersion() != "1" {
		t.Fatalf("ListModels after delete = %v, %v", list, err)
	}
	if _, err := tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	_, err = tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "mlp"})
	wantCode(t, err, codes.NotFound)
	_, err = tn.infer.ModelInfer(ctx, addRequest("mlp", []float32{1}, []float32{1}, []int64{1, 1}))
	wantCode(t, err, codes.NotFound)
}

// TestDataTypes runs every test model's element type through gRPC raw
// contents and checks the elementwise result computed by ONNX Runtime.
func TestDataTypes(t *testing.T) {
	tn := startNode(t, nil)
	tests := []struct {
		model, dtype string
		a, b, want   []any
	}{
		{"add_fp16", "FP16", []any{1.5, -2.0}, []any{0.25, 4.0}, []any{1.75, 2.0}},
		{"add_int64", "INT64", []any{int64(1) << 40, int64(-5)}, []any{int64(1), int64(2)}, []any{int64(1)<<40 + 1, int64(-3)}},
		{"add_int32", "INT32", []any{int64(-7), int64(100000)}, []any{int64(7), int64(1)}, []any{int64(0), int64(100001)}},
		{"add_uint8", "UINT8", []any{uint64(200), uint64(1)}, []any{uint64(55), uint64(2)}, []any{uint64(255), uint64(3)}},
		{"and_bool", "BOOL", []any{true, true}, []any{true, false}, []any{true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			push(t, tn.admin, tc.model, zooModel(t, tc.model))
			dt, _ := codec.ParseDataType(tc.dtype)
			req := &pb.ModelInferRequest{ModelName: tc.model,
				Inputs: []*pb.ModelInferRequest_InferInputTensor{
					{Name: "a", Datatype: tc.dtype, Shape: []int64{1, 2}},
					{Name: "b", Datatype: tc.dtype, Shape: []int64{1, 2}},
				},
				RawInputContents: [][]byte{encodeValues(t, dt, tc.a), encodeValues(t, dt, tc.b)},
			}
			resp, err := tn.infer.ModelInfer(testCtx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeValues(t, resp.GetOutputs()[0], resp.GetRawOutputContents()[0])
			if resp.GetOutputs()[0].GetDatatype() != tc.dtype || !slices.Equal(got, tc.want) {
				t.Fatalf("%s result = %v (%s), want %v", tc.model, got, resp.GetOutputs()[0].GetDatatype(), tc.want)
			}
		})
	}
}

// mlpRequest is one row of tiny_mlp input.
func mlpRequest() *pb.ModelInferRequest {
	return &pb.ModelInferRequest{ModelName: "mlp",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 16},
			Contents: &pb.InferTensorContents{Fp32Contents: make([]float32, 16)}}}}
}

// TestReflection: grpcurl-style tools can list the node's services.
func TestReflection(t *testing.T) {
	tn := startNode(t, nil)
	stream, err := reflectionpb.NewServerReflectionClient(tn.conn).ServerReflectionInfo(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"inference.GRPCInferenceService", "edgeserve.admin.v1.AdminService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
}
