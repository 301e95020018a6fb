package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// TestPushPreparesFastForm: a pushed model's fast-loading form is prepared
// before the push is acknowledged, inside the store's artifact folder, and
// recorded under the model's digest and the runtime's key, so its first
// miss loads the prepared form.
func TestPushPreparesFastForm(t *testing.T) {
	tn := startNode(t, nil)
	info := push(t, tn.admin, "mobilenet", zooModel(t, "mobilenet_v1_0.25"))
	key := tn.loader.(*ort.Loader).ArtifactKey()
	d, err := store.ParseDigest("sha256:" + info.GetSha256())
	if err != nil {
		t.Fatal(err)
	}
	art, err := tn.store.GetArtifact(context.Background(), d, key)
	if err != nil {
		t.Fatalf("prepared form not recorded when the push returned: %v", err)
	}
	if len(art.Paths) != 1 || !strings.HasPrefix(art.Paths[0], filepath.Join(tn.cfg.DataDir, "store")+string(filepath.Separator)) {
		t.Fatalf("artifact paths %v, want one folder in the store", art.Paths)
	}
	if _, err := os.Stat(filepath.Join(art.Paths[0], ort.PreparedModelFile)); err != nil {
		t.Fatalf("prepared model missing: %v", err)
	}
	lease, err := tn.cache.Acquire(testCtx(t), "mobilenet:1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	if p := lease.Model().Profile(); !p.Prepared || p.PrepareTime != 0 {
		t.Fatalf("first load: prepared %v, prepare time %v; want the form prepared at push", p.Prepared, p.PrepareTime)
	}
}

// unknownOpModel is a well-formed ONNX model whose one node uses an
// operator ONNX Runtime does not have.
func unknownOpModel(t testing.TB) []byte {
	t.Helper()
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(onnxpb.TensorProto_FLOAT), Shape: &onnxpb.TensorShapeProto{
				Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 4}}}}}}}}
	}
	m := &onnxpb.ModelProto{IrVersion: 8, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 17}},
		Graph: &onnxpb.GraphProto{Name: "unknown_op",
			Node:  []*onnxpb.NodeProto{{OpType: "EdgeServeUnknownOp", Input: []string{"x"}, Output: []string{"y"}}},
			Input: []*onnxpb.ValueInfoProto{vi("x")}, Output: []*onnxpb.ValueInfoProto{vi("y")}}}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPushRefusesUnloadableModel: a well-formed model ONNX Runtime cannot
// load is refused at push with INVALID_ARGUMENT and ONNX Runtime's reason,
// without the node's file paths, and nothing of it is kept: no record, no
// blob, no prepared form.
func TestPushRefusesUnloadableModel(t *testing.T) {
	tn := startNode(t, nil)
	before := storeBytes(t, tn)
	data := unknownOpModel(t)
	_, err := pushBytes(adminCtx(t), tn.admin, "bad", data, 0, len(data))
	wantCode(t, err, codes.InvalidArgument)
	t.Logf("refusal: %v", err)
	if msg := err.Error(); !strings.Contains(msg, "EdgeServeUnknownOp") || strings.Contains(msg, tn.cfg.DataDir) {
		t.Fatalf("refusal %q: want ONNX Runtime's reason naming the operator, and no server path", msg)
	}
	if recs, _ := tn.store.List(context.Background()); len(recs) != 0 {
		t.Fatalf("records after a refused push: %v", recs)
	}
	if after := storeBytes(t, tn); after != before {
		t.Fatalf("store holds %d bytes after a refused push, %d before", after, before)
	}
}

// TestStoredUnloadableModel: a model already in the store that ONNX
// Runtime cannot load answers FAILED_PRECONDITION, on its first load and
// while it backs off: retrying cannot help, so it is not UNAVAILABLE.
func TestStoredUnloadableModel(t *testing.T) {
	tn := startNode(t, nil)
	path := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(path, unknownOpModel(t), 0o644); err != nil {
		t.Fatal(err)
	}
	// As an older node, or a file copied in, would have stored it.
	if _, err := tn.store.(*store.Store).ImportFile(context.Background(), path, store.ModelMeta{Name: "bad"}); err != nil {
		t.Fatal(err)
	}
	req := &pb.ModelInferRequest{ModelName: "bad", Inputs: []*pb.ModelInferRequest_InferInputTensor{
		{Name: "x", Datatype: "FP32", Shape: []int64{4}, Contents: &pb.InferTensorContents{Fp32Contents: make([]float32, 4)}}}}
	for i := range 2 {
		_, err := tn.infer.ModelInfer(testCtx(t), req)
		wantCode(t, err, codes.FailedPrecondition)
		if !strings.Contains(err.Error(), "EdgeServeUnknownOp") || strings.Contains(err.Error(), tn.cfg.DataDir) {
			t.Fatalf("try %d: %v; want ONNX Runtime's reason without server paths", i, err)
		}
	}
}

// storeBytes is the size of every file in the node's store folder except
// the catalog database (bbolt keeps its pages once grown).
func storeBytes(t testing.TB, tn *testNode) int64 {
	t.Helper()
	b, _ := dirBytes(t, filepath.Join(tn.cfg.DataDir, "store"))
	return b
}

// dirBytes sums the sizes of the files under dir, apart from the catalog
// (whose size it returns too).
func dirBytes(t testing.TB, dir string) (files, catalog int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if e.Name() == "catalog.db" {
			catalog += fi.Size()
		} else {
			files += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, catalog
}

// TestPushRefusesExternalData: a pushed model whose weights point at
// another model's blob in the store (ONNX external data) is refused with
// INVALID_ARGUMENT, so a push's digest always covers what runs.
func TestPushRefusesExternalData(t *testing.T) {
	tn := startNode(t, nil)
	victim := push(t, tn.admin, "victim", zooModel(t, "tiny_mlp"))
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(unknownOpModel(t), m); err != nil {
		t.Fatal(err)
	}
	m.Graph.Node[0].OpType = "Add"
	m.Graph.Node[0].Input = []string{"x", "w"}
	m.Graph.Initializer = []*onnxpb.TensorProto{{Name: "w", Dims: []int64{4}, DataType: int32(onnxpb.TensorProto_FLOAT),
		DataLocation: onnxpb.TensorProto_EXTERNAL, ExternalData: []*onnxpb.StringStringEntryProto{
			{Key: "location", Value: "../../blobs/sha256/" + victim.GetSha256()}, {Key: "length", Value: "16"}}}}
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	before := storeBytes(t, tn)
	_, err = pushBytes(adminCtx(t), tn.admin, "thief", data, 0, len(data))
	wantCode(t, err, codes.InvalidArgument)
	if !strings.Contains(err.Error(), "external") {
		t.Fatalf("refusal %v does not say why", err)
	}
	if after := storeBytes(t, tn); after != before {
		t.Fatalf("store holds %d bytes after a refused push, %d before", after, before)
	}
	if _, err := tn.store.Get(context.Background(), "thief", ""); err == nil {
		t.Fatal("refused model recorded")
	}
}
