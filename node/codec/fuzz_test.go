package codec

import (
	"bytes"
	"errors"
	"testing"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"google.golang.org/protobuf/proto"
)

// FuzzDecodeJSONRequest: any body either decodes into tensors whose byte
// counts match their shapes, or fails with ErrInvalidInput; never a panic.
func FuzzDecodeJSONRequest(f *testing.F) {
	f.Add([]byte(`{"inputs":[{"name":"a","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"c","shape":[1],"datatype":"FP16","data":[1e9]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"d","shape":[1,0],"datatype":"UINT64","data":[[]]}]}`))
	f.Add([]byte(`{"inputs":[{"data":[1,2],"name":"e","shape":[2.0],"datatype":"INT16"}],"id":"x"}`))
	f.Add([]byte(`{"inputs":[{"name":"f","shape":[1e0,2],"datatype":"BF16","data":[[1,2]]}],"outputs":[{"name":"y"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, ts, err := DecodeJSONRequest(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		checkSizes(t, ts)
	})
}

// FuzzDecodeJSONRequestLimited: within the body's size, the streaming
// decoder accepts what the unbounded one accepts, with the same tensors,
// and charges at least the bytes it returns.
func FuzzDecodeJSONRequestLimited(f *testing.F) {
	f.Add([]byte(`{"inputs":[{"name":"a","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}]}`))
	f.Add([]byte(`{"inputs":[{"data":[true],"shape":[1],"datatype":"BOOL","name":"b"}]}`))
	f.Add([]byte(`{"inputs":[{"name":"c","shape":[3e0],"datatype":"INT64","data":[1,-2,3]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var charged int64
		lim := Limits{MaxBytes: int64(len(body)), Reserve: func(n int64) error { charged += n; return nil }}
		_, ts, err := DecodeJSONRequestLimited(bytes.NewReader(body), lim)
		_, want, werr := DecodeJSONRequest(bytes.NewReader(body))
		if (err == nil) != (werr == nil) {
			t.Fatalf("limited: %v; unbounded: %v", err, werr)
		}
		if err != nil {
			if !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		checkSizes(t, ts)
		var held int64
		for i := range ts {
			held += int64(len(ts[i].Data))
			if !bytes.Equal(ts[i].Data, want[i].Data) {
				t.Fatalf("tensor %d: %v, unbounded %v", i, ts[i].Data, want[i].Data)
			}
		}
		if held > charged {
			t.Fatalf("returned %d tensor bytes, charged %d", held, charged)
		}
	})
}

// FuzzDecodeInputs: any ModelInferRequest bytes either decode into tensors
// whose byte counts match their shapes or fail with ErrInvalidInput.
func FuzzDecodeInputs(f *testing.F) {
	seed := &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{
		input("x", "INT16", []int64{2}, &pb.InferTensorContents{IntContents: []int32{1, -1}}),
		input("y", "FP32", []int64{1, 2}, &pb.InferTensorContents{Fp32Contents: []float32{1, 2}}),
	}}
	raw, _ := proto.Marshal(seed)
	f.Add(raw)
	seed2 := &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP16", []int64{2}, nil)},
		RawInputContents: [][]byte{{1, 2, 3, 4}}}
	raw2, _ := proto.Marshal(seed2)
	f.Add(raw2)
	f.Fuzz(func(t *testing.T, b []byte) {
		var req pb.ModelInferRequest
		if proto.Unmarshal(b, &req) != nil {
			return
		}
		ts, err := DecodeInputs(&req)
		if err != nil {
			if !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		checkSizes(t, ts)
	})
}

func checkSizes(t *testing.T, ts []runtime.Tensor) {
	t.Helper()
	for _, tn := range ts {
		want, err := byteSize(tn.Type, tn.Shape)
		if err != nil || int64(len(tn.Data)) != want {
			t.Fatalf("tensor %q: %d bytes for shape %v (%v)", tn.Name, len(tn.Data), tn.Shape, err)
		}
	}
}
