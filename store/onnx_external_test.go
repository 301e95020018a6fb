package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// externalModel is onnxModel whose weight W lives in an external file at
// location instead of in the model.
func externalModel(t testing.TB, location string) []byte {
	t.Helper()
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(onnxModel(t, 3, 8), m); err != nil {
		t.Fatal(err)
	}
	w := m.Graph.Initializer[0]
	w.RawData = nil
	w.DataLocation = onnxpb.TensorProto_EXTERNAL
	w.ExternalData = []*onnxpb.StringStringEntryProto{{Key: "location", Value: location}, {Key: "length", Value: "32"}}
	return marshal(t, m)
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appendMessage appends field num holding body as a length-delimited field.
func appendMessage(b []byte, num protowire.Number, body []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

// externalTensor is a TensorProto whose data is external, in one of the
// two ways ONNX allows to say so.
func externalTensor(t testing.TB, byLocationOnly bool) []byte {
	t.Helper()
	tp := &onnxpb.TensorProto{Name: "w", Dims: []int64{1}, DataType: int32(onnxpb.TensorProto_FLOAT)}
	if byLocationOnly {
		tp.DataLocation = onnxpb.TensorProto_EXTERNAL
	} else {
		tp.ExternalData = []*onnxpb.StringStringEntryProto{{Key: "location", Value: "../../blobs/sha256/x"}}
	}
	return marshal(t, tp)
}

// wrapModel puts a graph body into a ModelProto with an ir_version.
func wrapModel(graph []byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 8)
	return appendMessage(b, 7, graph)
}

// TestCheckONNXExternalData: a tensor anywhere in the model (initializer,
// a constant's attribute inside a subgraph, a sparse initializer, a
// function's node, a training graph) that keeps its data outside the file
// is refused with ErrExternalData.
func TestCheckONNXExternalData(t *testing.T) {
	ext, loc := externalTensor(t, false), externalTensor(t, true)
	attr := func(num protowire.Number, body []byte) []byte { return appendMessage(nil, num, body) }
	node := func(a []byte) []byte { return appendMessage(nil, 5, a) }
	subgraph := appendMessage(nil, 5, ext) // graph with one initializer
	sparse := appendMessage(nil, 1, ext)   // SparseTensorProto.values
	cases := map[string][]byte{
		"initializer with a location":           externalModel(t, "../../blobs/sha256/0000"),
		"initializer with an absolute location": externalModel(t, "/etc/passwd"),
		"initializer marked external only":      wrapModel(appendMessage(nil, 5, loc)),
		"constant attribute tensor":             wrapModel(appendMessage(nil, 1, node(attr(5, ext)))),
		"attribute tensors list":                wrapModel(appendMessage(nil, 1, node(attr(10, loc)))),
		"tensor in an If branch subgraph":       wrapModel(appendMessage(nil, 1, node(attr(6, subgraph)))),
		"tensor in a Loop body graphs list":     wrapModel(appendMessage(nil, 1, node(attr(11, subgraph)))),
		"sparse initializer":                    wrapModel(appendMessage(nil, 15, sparse)),
		"sparse attribute":                      wrapModel(appendMessage(nil, 1, node(attr(22, sparse)))),
		"function node attribute": appendMessage(wrapModel(appendMessage(nil, 2, []byte("g"))), 25,
			appendMessage(nil, 7, node(attr(5, ext)))),
		"training initialization graph": appendMessage(wrapModel(appendMessage(nil, 2, []byte("g"))), 20,
			appendMessage(nil, 1, subgraph)),
	}
	for name, model := range cases {
		t.Run(name, func(t *testing.T) {
			if err := CheckONNX(model); !errors.Is(err, ErrExternalData) {
				t.Fatalf("CheckONNX = %v, want ErrExternalData", err)
			}
		})
	}
	inline := wrapModel(appendMessage(nil, 1, node(attr(6, appendMessage(nil, 5, marshal(t, &onnxpb.TensorProto{Name: "w", RawData: []byte{1, 2, 3, 4}}))))))
	if err := CheckONNX(inline); err != nil {
		t.Fatalf("a subgraph with an inline tensor: %v", err)
	}
}

// TestCheckONNXMalformedNesting: nested messages must end inside their
// parents and nest boundedly.
func TestCheckONNXMalformedNesting(t *testing.T) {
	graph := appendMessage(nil, 5, marshal(t, &onnxpb.TensorProto{Name: "w", RawData: []byte{1, 2, 3, 4}}))
	overrun := wrapModel(graph)
	overrun[len(overrun)-len(graph)+1] += 3                                 // the initializer claims more than the graph holds
	crossing := wrapModel(append(appendMessage(nil, 2, []byte("g")), 0x2a)) // a header cut by the graph's end
	deep := []byte("x")
	for range maxONNXDepth + 2 {
		deep = appendMessage(nil, 5, appendMessage(nil, 6, appendMessage(nil, 1, deep))) // node.attribute -> attr.g -> graph.node
	}
	deepModel := wrapModel(appendMessage(nil, 1, deep))
	wrongType := wrapModel(protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 3))
	cases := map[string][]byte{
		"initializer overruns the graph":  overrun,
		"field header crosses graph end":  crossing,
		"subgraphs nested without bound":  deepModel,
		"initializer with a varint type":  wrongType,
		"truncated inside a nested graph": wrapModel(graph)[:len(wrapModel(graph))-2],
	}
	for name, model := range cases {
		t.Run(name, func(t *testing.T) {
			if err := CheckONNX(model); !errors.Is(err, ErrNotONNX) {
				t.Fatalf("CheckONNX = %v, want ErrNotONNX", err)
			}
		})
	}
}

// TestImportRefusesExternalData: a model whose weights point at another
// blob's file in the store is refused at import and upload, and nothing of
// it is stored.
func TestImportRefusesExternalData(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	victim, err := s.Import(ctx, bytes.NewReader(onnxModel(t, 5, 8)), ModelMeta{Name: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	evil := externalModel(t, "../../blobs/sha256/"+victim.Digest.Hex())
	if _, err := s.Import(ctx, bytes.NewReader(evil), ModelMeta{Name: "evil"}); !errors.Is(err, ErrExternalData) {
		t.Fatalf("import: %v, want ErrExternalData", err)
	}
	d := Digest(sha256.Sum256(evil))
	u, err := s.BeginUpload(ctx, d, int64(len(evil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(ctx, bytes.NewReader(evil), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx, ModelMeta{Name: "evil"}); !errors.Is(err, ErrExternalData) {
		t.Fatalf("upload commit: %v, want ErrExternalData", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), dirBlobs, d.Hex())); !os.IsNotExist(err) {
		t.Fatalf("refused blob stored: %v", err)
	}
	if recs, _ := s.List(ctx); len(recs) != 1 {
		t.Fatalf("records %v, want only the victim", recs)
	}
}

// TestModelFileRefusesExternalData: a blob with external data that reached
// the store without the import check (a peer transfer, or a store written
// before the check existed) is refused at load, never handed out.
func TestModelFileRefusesExternalData(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	evil := externalModel(t, "../../blobs/sha256/0000")
	d := Digest(sha256.Sum256(evil))
	if err := s.Ingest(ctx, bytes.NewReader(evil), d, int64(len(evil))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cat.put(Record{Name: "evil", Digest: d, SizeBytes: int64(len(evil)), Format: FormatONNX}); err != nil {
		t.Fatal(err)
	}
	s2 := reopen(t, s)
	for i := range 2 { // the refusal is not cached as a success
		if _, path, err := s2.ModelFile(ctx, "evil", "latest"); !errors.Is(err, ErrExternalData) {
			t.Fatalf("try %d: ModelFile = %q, %v; want ErrExternalData", i, path, err)
		}
	}
}

// reopen closes s and opens its directory again, as a restarted node would.
func reopen(t testing.TB, s *Store) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return openStore(t, s.cfg, Deps{})
}
