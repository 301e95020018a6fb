package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A config.pbtxt as Triton users write them, with fields EdgeServe does not
// map (instance_group, dynamic_batching, optimization, version_policy, a
// field from a newer Triton) that must be tolerated.
const resnetConfig = `
name: "resnet"
platform: "onnxruntime_onnx"
max_batch_size: 8
version_policy: { latest { num_versions: 2 } }
input [
  {
    name: "x"
    data_type: TYPE_FP32
    format: FORMAT_NCHW
    dims: [ 3, 224, 224 ]
  }
]
output [
  { name: "y", data_type: TYPE_INT64, dims: [ 1000 ], label_filename: "labels.txt" }
]
instance_group [ { count: 2, kind: KIND_CPU } ]
dynamic_batching { preferred_batch_size: [ 4, 8 ], max_queue_delay_microseconds: 100 }
optimization { execution_accelerators { cpu_execution_accelerator: [ { name: "openvino" } ] } }
parameters { key: "intra_op_thread_count" value: { string_value: "2" } }
some_future_field: { anything: 1 }
`

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportTritonRepository(t *testing.T) {
	ctx := context.Background()
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "resnet", "config.pbtxt"), []byte(resnetConfig))
	writeFile(t, filepath.Join(repo, "resnet", "1", "model.onnx"), onnxModel(t, 20, 64))
	writeFile(t, filepath.Join(repo, "resnet", "3", "model.onnx"), onnxModel(t, 21, 64))
	writeFile(t, filepath.Join(repo, "resnet", "4", "README"), []byte("no model here"))
	writeFile(t, filepath.Join(repo, "noconfig", "2", "model.onnx"), onnxModel(t, 22, 64))
	writeFile(t, filepath.Join(repo, "engine", "config.pbtxt"), []byte(`name: "engine" platform: "tensorrt_plan"`))
	writeFile(t, filepath.Join(repo, "engine", "1", "model.plan"), []byte("not onnx"))
	s := newTestStore(t)
	res, err := s.ImportTriton(ctx, repo, TritonOptions{Task: "image-classification", Labels: map[string]string{"src": "triton"}})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, r := range res.Imported {
		refs = append(refs, r.Ref())
	}
	if !slices.Equal(refs, []string{"noconfig:2", "resnet:1", "resnet:3"}) || len(res.Skipped) != 2 {
		t.Fatalf("imported %v, skipped %v", refs, res.Skipped)
	}
	r, err := s.Get(ctx, "resnet", Latest)
	if err != nil {
		t.Fatal(err)
	}
	wantIn := TensorSpec{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3, 224, 224}}
	if r.Version != 3 || r.MaxBatchSize != 8 || r.Platform != PlatformONNXRuntime || r.Task != "image-classification" ||
		!tensorEqual(r.Inputs[0], wantIn) || r.Outputs[0].Datatype != "INT64" || r.Outputs[0].Shape[1] != 1000 {
		t.Fatalf("record %+v", r)
	}
}

func tensorEqual(a, b TensorSpec) bool {
	return a.Name == b.Name && a.Datatype == b.Datatype && slices.Equal(a.Shape, b.Shape)
}

func TestImportTritonBadConfig(t *testing.T) {
	cases := map[string]string{
		"does not parse":    `name: "m" input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] }`,
		"unknown data type": `name: "m" input [ { name: "x" data_type: TYPE_FLOAT7 } ]`,
		"invalid data type": `name: "m" input [ { name: "x" dims: [ 3 ] } ]`,
		"name differs":      `name: "other"`,
		"negative batch":    `name: "m" max_batch_size: -1`,
		"bad dims":          `name: "m" input [ { name: "x" data_type: TYPE_FP32 dims: [ -5 ] } ]`,
		"escaping filename": `name: "m" default_model_filename: "../../etc/passwd"`,
		"binary junk":       "\x00\x01\x02\xff",
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			repo := t.TempDir()
			writeFile(t, filepath.Join(repo, "m", "config.pbtxt"), []byte(cfg))
			writeFile(t, filepath.Join(repo, "m", "1", "model.onnx"), onnxModel(t, 23, 16))
			s := newTestStore(t)
			_, err := s.ImportTriton(context.Background(), repo, TritonOptions{})
			if !errors.Is(err, ErrInvalidTritonConfig) {
				t.Fatalf("err %v, want ErrInvalidTritonConfig", err)
			}
			assertNothingStored(t, s)
		})
	}
}

func TestImportTritonSingleModelDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnist")
	writeFile(t, filepath.Join(dir, "config.pbtxt"), []byte(`backend: "onnxruntime" default_model_filename: "net.onnx"`))
	writeFile(t, filepath.Join(dir, "5", "net.onnx"), onnxModel(t, 24, 16))
	s := newTestStore(t)
	res, err := s.ImportTriton(context.Background(), dir, TritonOptions{})
	if err != nil || len(res.Imported) != 1 || res.Imported[0].Ref() != "mnist:5" {
		t.Fatalf("%+v, %v", res, err)
	}
}
