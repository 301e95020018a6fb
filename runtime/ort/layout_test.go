package ort

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// preparedRefs reads a prepared graph's external initializers and the size
// of its weights file.
func preparedRefs(t *testing.T, path string) ([]externalRef, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	var refs []externalRef
	if err := eachInitializer(m.GetGraph(), func(tp *onnxpb.TensorProto) error {
		r, ext, err := externalRefOf(tp)
		if ext {
			refs = append(refs, r)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 {
		t.Fatal("no external initializers")
	}
	st, err := os.Stat(filepath.Join(filepath.Dir(path), refs[0].location))
	if err != nil {
		t.Fatalf("weights file: %v", err)
	}
	return refs, st.Size()
}

// TestPreparedKeepsORTLayout: ONNX Runtime 1.30 saves initializers above
// 1 MiB page-aligned and maps the file as it is, so the prepared form keeps
// its layout: large initializers page-aligned, the rest packed, and a
// weights file not padded to AlignBytes per initializer.
func TestPreparedKeepsORTLayout(t *testing.T) {
	l := newTestLoader(t, false)
	const width, layers = 600, 3 // 1.4 MB weight matrices, 2.4 KB biases
	out, err := l.Prepare(context.Background(), mlpModel(t, width, layers), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	refs, size := preparedRefs(t, out)
	page := int64(os.Getpagesize())
	var data int64
	for _, r := range refs {
		data += r.size
		if r.size > ortAlignThresholdBytes && r.offset%page != 0 {
			t.Errorf("initializer of %d bytes at offset %d, not page-aligned", r.size, r.offset)
		}
		if r.location != refs[0].location {
			t.Errorf("initializers in %s and %s, want one weights file", r.location, refs[0].location)
		}
	}
	if len(refs) < 2*layers {
		t.Errorf("%d external initializers, want the %d matrices and biases", len(refs), 2*layers)
	}
	if limit := data + int64(len(refs))*page; size > limit {
		t.Errorf("weights file %d bytes for %d bytes of weights: padded beyond a page per initializer (%d)", size, data, limit)
	}
	m := mustLoadPrepared(t, l, out)
	if m.Profile().FirstRun <= 0 {
		t.Fatal("prepared form did not run")
	}
}

// TestOwnLayoutMapped checks the decision between keeping ONNX Runtime's
// layout and rewriting it.
func TestOwnLayoutMapped(t *testing.T) {
	ext := func(loc string, off, n int64) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: "w", DataLocation: onnxpb.TensorProto_EXTERNAL, ExternalData: []*onnxpb.StringStringEntryProto{
			{Key: "location", Value: loc}, {Key: "offset", Value: strconv.FormatInt(off, 10)}, {Key: "length", Value: strconv.FormatInt(n, 10)}}}
	}
	big := int64(ortAlignThresholdBytes + 4)
	sub := func(ts ...*onnxpb.TensorProto) *onnxpb.ModelProto {
		inner := &onnxpb.GraphProto{Initializer: ts}
		return &onnxpb.ModelProto{Graph: &onnxpb.GraphProto{Node: []*onnxpb.NodeProto{{OpType: "If",
			Attribute: []*onnxpb.AttributeProto{{Name: "then_branch", G: inner}}}}}}
	}
	tests := []struct {
		name string
		m    *onnxpb.ModelProto
		want bool
	}{
		{"large aligned, small packed", &onnxpb.ModelProto{Graph: &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{
			ext("d", 0, 2000), ext("d", 4096, big), {Name: "inline", RawData: []byte{1, 2}}}}}, true},
		{"large unaligned", &onnxpb.ModelProto{Graph: &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{ext("d", 2000, big)}}}, false},
		{"large unaligned in a subgraph", sub(ext("d", 2000, big)), false},
		{"other file", &onnxpb.ModelProto{Graph: &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{ext("e", 0, 10)}}}, false},
		{"no graph", &onnxpb.ModelProto{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ownLayoutMapped(tt.m, "d", 4096)
			if err != nil || got != tt.want {
				t.Fatalf("ownLayoutMapped = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	bad := &onnxpb.ModelProto{Graph: &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{ext("d", 0, 1)}}}
	bad.Graph.Initializer[0].ExternalData[1].Value = "x"
	if _, err := ownLayoutMapped(bad, "d", 4096); err == nil {
		t.Fatal("malformed offset accepted")
	}
}

// TestPrepareRewritesUnmappedLayout: a saved layout with a large
// initializer at an unaligned offset is rewritten with every initializer
// AlignBytes-aligned, and the rewritten form loads.
func TestPrepareRewritesUnmappedLayout(t *testing.T) {
	l := newTestLoader(t, false)
	const width = 600
	src, err := l.Prepare(context.Background(), mlpModel(t, width, 2), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild a work directory as ONNX Runtime would have left it, but with
	// every initializer shifted by 100 bytes.
	work, out := t.TempDir(), t.TempDir()
	refs, _ := preparedRefs(t, src)
	weights, err := os.ReadFile(filepath.Join(filepath.Dir(src), refs[0].location))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, optimizedDataFileName), append(make([]byte, 100), weights...), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readModel(src)
	if err != nil {
		t.Fatal(err)
	}
	_ = eachInitializer(m.GetGraph(), func(tp *onnxpb.TensorProto) error {
		for _, e := range tp.GetExternalData() {
			switch e.GetKey() {
			case "location":
				e.Value = optimizedDataFileName
			case "offset":
				off, _ := strconv.ParseInt(e.GetValue(), 10, 64)
				e.Value = strconv.FormatInt(off+100, 10)
			}
		}
		return nil
	})
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, optimizedModelFileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := l.align(work, out)
	if err != nil {
		t.Fatal(err)
	}
	rewritten, _ := preparedRefs(t, path)
	for _, r := range rewritten {
		if r.offset%l.cfg.AlignBytes != 0 {
			t.Errorf("initializer at offset %d after the rewrite, not %d-aligned", r.offset, l.cfg.AlignBytes)
		}
	}
	if pm := mustLoadPrepared(t, l, path); pm.Profile().FirstRun <= 0 {
		t.Fatal("rewritten form did not run")
	}
}

func mustLoadPrepared(t *testing.T, l *Loader, path string) *model {
	t.Helper()
	m, err := l.loadFile("prepared", path, modePrepared, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
