package client_test

import (
	"bytes"
	"testing"

	"github.com/edgeserve/edgeserve/client"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

type tensorMeta = pb.ModelMetadataResponse_TensorMetadata

// TestSeededInputs: shapes follow the specs with dynamic dimensions set to
// the batch; the same seed gives the same bytes and another seed others;
// a type without a fixed size is refused.
func TestSeededInputs(t *testing.T) {
	specs := []*tensorMeta{{Name: "x", Datatype: "FP16", Shape: []int64{-1, 3}}, {Name: "y", Datatype: "INT8", Shape: []int64{2}}}
	a, err := client.SeededInputs(specs, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := client.SeededInputs(specs, 2, 7)
	c, _ := client.SeededInputs(specs, 2, 8)
	if len(a[0].Data) != 12 || len(a[1].Data) != 2 || a[0].Shape[0] != 2 {
		t.Fatalf("shapes/sizes wrong: %+v", a)
	}
	if !bytes.Equal(a[0].Data, b[0].Data) || bytes.Equal(a[0].Data, c[0].Data) {
		t.Fatal("same seed must give the same inputs and another seed others")
	}
	for _, bad := range []*tensorMeta{{Name: "s", Datatype: "BYTES"}, {Name: "q", Datatype: "FP99"}, {Name: "h", Datatype: "FP32", Shape: []int64{1 << 40, 1 << 40}}, {Name: "g", Datatype: "FP64", Shape: []int64{1 << 30}}} {
		if _, err := client.SeededInputs([]*tensorMeta{bad}, 1, 1); err == nil {
			t.Errorf("input %+v accepted", bad)
		}
	}
}
