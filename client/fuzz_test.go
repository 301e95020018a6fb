package client_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/client"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// FuzzDecodeResponse: any response a node sends decodes or fails cleanly,
// and decoded outputs hold exactly the bytes their shapes need.
func FuzzDecodeResponse(f *testing.F) {
	seed := &pb.ModelInferResponse{ModelName: "m", Outputs: []*pb.ModelInferResponse_InferOutputTensor{
		{Name: "y", Datatype: "FP32", Shape: []int64{1, 2}}}, RawOutputContents: [][]byte{make([]byte, 8)}}
	b, _ := proto.Marshal(seed)
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp pb.ModelInferResponse
		if proto.Unmarshal(b, &resp) != nil {
			return
		}
		r, err := client.DecodeResponse(&resp)
		if err != nil {
			return
		}
		for _, o := range r.Outputs {
			n := int64(o.Type.ElementSize())
			for _, d := range o.Shape {
				n *= d
			}
			if n != int64(len(o.Data)) {
				t.Fatalf("output %s: %d bytes for shape %v", o.Name, len(o.Data), o.Shape)
			}
		}
	})
}
