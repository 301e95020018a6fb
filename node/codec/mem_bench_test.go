package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"testing"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"google.golang.org/protobuf/proto"
)

// benchElements is the FP32 element count of the request-memory
// benchmarks' tensor: about 16 MB of JSON.
const benchElements = 1_600_000

// BenchmarkRequestMemory reports, for one request of each wire form, the
// bytes the decoder allocates per request byte with the collector off (so
// nothing is freed: the peak the decoding holds), and the bytes still live
// after decoding, the tensors included, per request byte. The request
// bytes themselves (the client's, or the network's) are not counted.
// json-response measures the other way: encoding one output and writing
// the response, per byte of the JSON response.
func BenchmarkRequestMemory(b *testing.B) {
	vals := benchValues(benchElements)
	jsonBody := benchJSONBody(vals)
	head := []byte(`{"inputs":[{"name":"x","shape":[` + strconv.Itoa(len(vals)) + `],"datatype":"FP32","parameters":{"binary_data_size":` + strconv.Itoa(4*len(vals)) + `}}]}`)
	binBody := append(append([]byte{}, head...), f32bytes(vals...)...)
	raw, _ := proto.Marshal(&pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{int64(len(vals))}, nil)},
		RawInputContents: [][]byte{f32bytes(vals...)}})
	typed, _ := proto.Marshal(&pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{
		input("x", "FP32", []int64{int64(len(vals))}, &pb.InferTensorContents{Fp32Contents: vals})}})
	b.Run("json", func(b *testing.B) {
		measureDecode(b, len(jsonBody), func() (any, error) { return benchDecodeJSON(netBody(jsonBody), int64(len(jsonBody))) })
	})
	b.Run("binary", func(b *testing.B) {
		measureDecode(b, len(binBody), func() (any, error) {
			return benchDecodeBinary(netBody(binBody), int64(len(binBody)), int64(len(head)))
		})
	})
	// The response side: an FP32 output tensor encoded as the HTTP
	// handler does (EncodeJSONTensor, then the response marshalled),
	// per byte of the JSON it makes.
	out := runtime.Tensor{Name: "y", Type: runtime.Float32, Shape: []int64{int64(len(vals))}, Data: f32bytes(vals...)}
	b.Run("json-response", func(b *testing.B) {
		jt, _ := EncodeJSONTensor(out)
		size, _ := json.Marshal(JSONResponse{ModelName: "m", Outputs: []JSONTensor{jt}})
		measureDecode(b, len(size), func() (any, error) { return nil, benchEncodeJSON(io.Discard, out) })
	})
	for name, msg := range map[string][]byte{"grpc-raw": raw, "grpc-typed": typed} {
		b.Run(name, func(b *testing.B) {
			measureDecode(b, len(msg), func() (any, error) {
				var req pb.ModelInferRequest
				if err := proto.Unmarshal(msg, &req); err != nil {
					return nil, err
				}
				ts, err := DecodeInputs(&req)
				return []any{&req, ts}, err
			})
		})
	}
}

// measureDecode runs decode with the collector off and reports its
// allocation and what stays live, per request byte.
func measureDecode(b *testing.B, size int, decode func() (any, error)) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var peak, held uint64
	for b.Loop() {
		goruntime.GC()
		var before, after, live goruntime.MemStats
		goruntime.ReadMemStats(&before)
		out, err := decode()
		goruntime.ReadMemStats(&after)
		if err != nil {
			b.Fatal(err)
		}
		goruntime.GC()
		goruntime.ReadMemStats(&live)
		goruntime.KeepAlive(out)
		peak = max(peak, after.TotalAlloc-before.TotalAlloc)
		held = max(held, live.HeapAlloc-min(live.HeapAlloc, before.HeapAlloc))
	}
	b.ReportMetric(float64(peak)/float64(size), "peak-B/req-B")
	b.ReportMetric(float64(held)/float64(size), "held-B/req-B")
	b.ReportMetric(float64(size), "req-B")
}

// benchValues are n FP32 values of typical magnitude, from a fixed seed.
func benchValues(n int) []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// benchJSONBody is an infer request for vals as one FP32 input, with each
// value written as the shortest decimal that reads back exactly.
func benchJSONBody(vals []float32) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"inputs":[{"name":"x","shape":[%d],"datatype":"FP32","data":[`, len(vals))
	for i, v := range vals {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(strconv.AppendFloat(nil, float64(v), 'g', -1, 32))
	}
	buf.WriteString(`]}]}`)
	return buf.Bytes()
}

// netBody hides the bytes.Reader's fast paths, as a network body would.
func netBody(b []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(b)} }
