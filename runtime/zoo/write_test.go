package zoo

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"google.golang.org/protobuf/proto"
)

// TestEncodedModelParses decodes streamed models with the protobuf library
// and checks each is the graph that was built, with every initializer's raw
// data complete, finite and within its initialisation bound. The models
// cover plain weights, float operator arguments (MobileNet's Clip bounds)
// and INT64 ones (NASNet's Pad and Slice).
func TestEncodedModelParses(t *testing.T) {
	for _, name := range []string{"squeezenet1.1", "mobilenet_v1_0.25", "nasnet_mobile"} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			m, err := Encode(&buf, name, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if m.FileBytes != int64(buf.Len()) {
				t.Errorf("manifest says %d bytes, wrote %d", m.FileBytes, buf.Len())
			}
			var model onnxpb.ModelProto
			if err := proto.Unmarshal(buf.Bytes(), &model); err != nil {
				t.Fatalf("streamed model does not parse: %v", err)
			}
			e, _ := lookup(name)
			checkModel(t, &model, e.build(), m.Params)
		})
	}
}

func checkModel(t *testing.T, model *onnxpb.ModelProto, g *graph, wantParams int64) {
	t.Helper()
	if model.IrVersion != irVersion || len(model.OpsetImport) != 1 || model.OpsetImport[0].Version != opset {
		t.Errorf("ir_version %d opsets %v", model.IrVersion, model.OpsetImport)
	}
	if len(model.Graph.Node) != len(g.nodes) || len(model.Graph.Initializer) != len(g.inits) {
		t.Fatalf("graph has %d nodes and %d initializers, built %d and %d",
			len(model.Graph.Node), len(model.Graph.Initializer), len(g.nodes), len(g.inits))
	}
	var params int64
	for i, tp := range model.Graph.Initializer {
		checkInitializer(t, tp, g.inits[i])
		if !g.inits[i].aux {
			params += g.inits[i].elems()
		}
	}
	if params != wantParams {
		t.Errorf("initializers hold %d parameters, manifest says %d", params, wantParams)
	}
}

func checkInitializer(t *testing.T, tp *onnxpb.TensorProto, in initializer) {
	t.Helper()
	if tp.Name != in.name || !slices.Equal(tp.Dims, in.dims) || tp.DataType != int32(in.dataType()) {
		t.Fatalf("initializer %s %v type %d, built %s %v", tp.Name, tp.Dims, tp.DataType, in.name, in.dims)
	}
	if int64(len(tp.RawData)) != in.rawBytes() {
		t.Fatalf("%s: %d raw bytes, want %d", tp.Name, len(tp.RawData), in.rawBytes())
	}
	if in.ints != nil {
		if !bytes.Equal(tp.RawData, in.intBytes()) {
			t.Fatalf("%s: int64 values % x, want %v", tp.Name, tp.RawData, in.ints)
		}
		return
	}
	for _, v := range decodeFloats(tp.RawData) {
		bad := math.IsNaN(float64(v)) || math.Abs(float64(v)) > float64(max(in.bound, abs32(in.value)))
		if bad || (in.bound == 0 && v != in.value) {
			t.Fatalf("%s: value %v outside its initialisation (bound %v, constant %v)", tp.Name, v, in.bound, in.value)
		}
	}
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

func TestEncodeIsDeterministic(t *testing.T) {
	gen := func(seed uint64) []byte {
		var buf bytes.Buffer
		if _, err := Encode(&buf, "mobilenet_v1_0.25", Options{Seed: seed}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b, c := gen(1), gen(1), gen(2)
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different files")
	}
	if bytes.Equal(a, c) || len(a) != len(c) {
		t.Errorf("seeds 1 and 2: equal=%v, sizes %d and %d; want different weights of the same size", bytes.Equal(a, c), len(a), len(c))
	}
}

// TestWriteSkipsUpToDate checks idempotence: a second Write with the same
// seed keeps the file; another seed or Force regenerates it.
func TestWriteSkipsUpToDate(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		name          string
		opts          Options
		wantGenerated bool
	}{
		{"first", Options{Seed: 1}, true},
		{"same seed", Options{Seed: 1}, false},
		{"other seed", Options{Seed: 2}, true},
		{"forced", Options{Seed: 2, Force: true}, true},
		{"again", Options{Seed: 2}, false},
	}
	for _, s := range steps {
		m, generated, err := Ensure(dir, "tiny_mlp", s.opts)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if generated != s.wantGenerated || m.Seed != s.opts.Seed {
			t.Fatalf("%s: generated=%v seed %d, want generated=%v seed %d", s.name, generated, m.Seed, s.wantGenerated, s.opts.Seed)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d files, want the model and its manifest (no temporaries)", len(entries))
	}
}

// TestWriteRegeneratesDamagedModel: a truncated model file is not trusted.
func TestWriteRegeneratesDamagedModel(t *testing.T) {
	dir := t.TempDir()
	m, err := Write(dir, "tiny_mlp", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, m.File)
	if err := os.Truncate(path, m.FileBytes/2); err != nil {
		t.Fatal(err)
	}
	if _, generated, err := Ensure(dir, "tiny_mlp", DefaultOptions()); err != nil || !generated {
		t.Fatalf("generated=%v err=%v, want a regeneration", generated, err)
	}
	if info, _ := os.Stat(path); info.Size() != m.FileBytes {
		t.Errorf("size %d after regeneration, want %d", info.Size(), m.FileBytes)
	}
}

func TestWriteUnknownModel(t *testing.T) {
	_, err := Write(t.TempDir(), "resnet9000", DefaultOptions())
	if !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("got %v, want ErrUnknownModel", err)
	}
}

func TestNames(t *testing.T) {
	test, _ := Names(SetTest)
	small, _ := Names(SetSmall)
	full, _ := Names(SetFull)
	for _, n := range test {
		if !slices.Contains(small, n) {
			t.Errorf("test model %s not in the small set", n)
		}
	}
	for _, n := range small {
		if !slices.Contains(full, n) {
			t.Errorf("small model %s not in the full set", n)
		}
	}
	for _, n := range []string{"squeezenet1.1", "mobilenet_v1_0.25", "mobilenet_v1_0.5", "tiny_mlp", "bad_unsupported_op"} {
		if !slices.Contains(small, n) {
			t.Errorf("small set lacks %s", n)
		}
	}
	if slices.Contains(small, "vgg16") || len(full) <= len(small) {
		t.Errorf("small set %v, full set %v", small, full)
	}
	if _, err := Names("huge"); !errors.Is(err, ErrUnknownSet) {
		t.Errorf("unknown set: got %v", err)
	}
}

// TestConcurrentWritesOfOneModel: tests of several packages may generate the
// same model into one directory at once; every writer must succeed and the
// result must be one complete model.
func TestConcurrentWritesOfOneModel(t *testing.T) {
	dir := t.TempDir()
	const writers = 4
	errs := make(chan error, writers)
	for range writers {
		go func() {
			_, err := Write(dir, "mobilenet_v1_0.25", DefaultOptions())
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	m, err := ReadManifest(filepath.Join(dir, "mobilenet_v1_0.25.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := Encode(&want, "mobilenet_v1_0.25", DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, m.File))
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("model on disk differs from a fresh encoding (err %v)", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d files, want the model and its manifest", len(entries))
	}
}
