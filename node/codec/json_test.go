package codec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

func TestDecodeJSONRequest(t *testing.T) {
	body := `{"id":"r1","inputs":[
		{"name":"a","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4.5]]},
		{"name":"b","shape":[3],"datatype":"BOOL","data":[true,false,true]},
		{"name":"c","shape":[2],"datatype":"INT64","data":[-9007199254740993,7]},
		{"name":"d","shape":[1],"datatype":"FP16","data":[0.5]}],
		"outputs":[{"name":"y"}]}`
	req, ts, err := DecodeJSONRequest(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "r1" || len(req.Outputs) != 1 || req.Outputs[0].Name != "y" {
		t.Fatalf("request = %+v", req)
	}
	if string(ts[0].Data) != string(f32bytes(1, 2, 3, 4.5)) {
		t.Fatalf("fp32 data = %v", ts[0].Data)
	}
	if string(ts[1].Data) != "\x01\x00\x01" {
		t.Fatalf("bool data = %v", ts[1].Data)
	}
	vals, _ := RawToValues(ts[2])
	if vals[0] != int64(-9007199254740993) { // beyond float64 precision: parsed exactly
		t.Fatalf("int64 element = %v", vals[0])
	}
	if string(ts[3].Data) != "\x00\x38" {
		t.Fatalf("fp16 data = %v", ts[3].Data)
	}
}

func TestDecodeJSONRequestMalformed(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"not json", `{"inputs":`, "request body"},
		{"trailing data", `{"inputs":[]} {}`, "after the JSON object"},
		{"unknown field", `{"inputs":[{"name":"a","shape":[1],"dtype":"FP32","data":[1]}]}`, "unknown field"},
		{"unknown datatype", `{"inputs":[{"name":"a","shape":[1],"datatype":"FLOAT","data":[1]}]}`, "unsupported datatype"},
		{"too few", `{"inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[1,2]}]}`, "2 elements in data, shape needs 3"},
		{"too many", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1,2]}]}`, "more than 1 elements"},
		{"string element", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":["1"]}]}`, "not a number"},
		{"float for int", `{"inputs":[{"name":"a","shape":[1],"datatype":"INT32","data":[1.5]}]}`, "INT32 element 1.5"},
		{"int overflow", `{"inputs":[{"name":"a","shape":[1],"datatype":"INT8","data":[128]}]}`, "INT8 element 128"},
		{"negative uint", `{"inputs":[{"name":"a","shape":[1],"datatype":"UINT8","data":[-1]}]}`, "UINT8 element -1"},
		{"fp32 overflow", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1e39]}]}`, "FP32 element 1e39"},
		{"number for bool", `{"inputs":[{"name":"a","shape":[1],"datatype":"BOOL","data":[1]}]}`, "not true or false"},
		{"scalar data", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":1}]}`, "must be an array"},
		{"object element", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[{"x":1}]}]}`, "objects"},
		{"missing data", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32"}]}`, "missing data"},
		{"negative shape", `{"inputs":[{"name":"a","shape":[-2],"datatype":"FP32","data":[]}]}`, "negative dimension"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeJSONRequest(strings.NewReader(tc.body))
			if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidInput containing %q", err, tc.msg)
			}
		})
	}
}

func TestEncodeJSONTensorRoundTrip(t *testing.T) {
	for _, dt := range []runtime.DataType{runtime.Float32, runtime.Float64, runtime.Float16, runtime.BFloat16,
		runtime.Int8, runtime.Int16, runtime.Int32, runtime.Int64, runtime.Uint8, runtime.Uint16,
		runtime.Uint32, runtime.Uint64, runtime.Bool} {
		t.Run(DataTypeName(dt), func(t *testing.T) {
			in := runtime.Tensor{Name: "x", Type: dt, Shape: []int64{2, 2}, Data: sampleData(dt, 4)}
			jt, err := EncodeJSONTensor(in)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(jt)
			var back JSONTensor
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			out, err := DecodeJSONTensor(back)
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Data) != string(in.Data) {
				t.Fatalf("round trip %v -> %s -> %v", in.Data, raw, out.Data)
			}
		})
	}
}

// sampleData returns n elements of dt with varied, exactly representable
// values (negative where the type allows).
func sampleData(dt runtime.DataType, n int) []byte {
	vals := []float32{1, -2, 0.5, 100}
	b := []byte{}
	for i := 0; i < n; i++ {
		v := vals[i%len(vals)]
		switch dt {
		case runtime.Bool:
			b = appendUint(b, uint64(i%2), 1)
		case runtime.Uint8, runtime.Uint16, runtime.Uint32, runtime.Uint64:
			b = appendUint(b, uint64(i*7+200), dt.ElementSize())
		case runtime.Int8, runtime.Int16, runtime.Int32, runtime.Int64:
			b = appendUint(b, uint64(int64(-i*3+1)), dt.ElementSize())
		default:
			var err error
			if b, err = appendElem(b, dt, '0', []byte(formatFloat(v))); err != nil {
				panic(err)
			}
		}
	}
	return b
}

func formatFloat(v float32) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func TestEncodeJSONTensorValues(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		dt   runtime.DataType
		data []byte
		want string
	}{
		{runtime.Float32, f32bytes(float32(math.NaN()), float32(math.Inf(-1)), -1.5, 0.1), `[null,null,-1.5,0.1]`},
		{runtime.Float64, le.AppendUint64(nil, math.Float64bits(0.1)), `[0.1]`},
		{runtime.Float16, []byte{0x00, 0x38, 0x00, 0x7c}, `[0.5,null]`},
		{runtime.BFloat16, []byte{0xc0, 0x3f}, `[1.5]`},
		{runtime.Int8, []byte{0x80, 0x7f}, `[-128,127]`},
		{runtime.Int16, []byte{0xfe, 0xff}, `[-2]`},
		{runtime.Int32, le.AppendUint32(nil, math.MaxUint32), `[-1]`},
		{runtime.Int64, le.AppendUint64(nil, 1<<63), `[-9223372036854775808]`},
		{runtime.Uint16, []byte{0xff, 0xff}, `[65535]`},
		{runtime.Uint64, le.AppendUint64(nil, math.MaxUint64), `[18446744073709551615]`},
		{runtime.Bool, []byte{1, 0}, `[true,false]`},
	}
	for _, tc := range tests {
		jt, err := EncodeJSONTensor(runtime.Tensor{Name: "y", Type: tc.dt, Data: tc.data})
		if err != nil || string(jt.Data) != tc.want {
			t.Errorf("%s: %s, %v; want %s", DataTypeName(tc.dt), jt.Data, err, tc.want)
		}
	}
	if _, err := EncodeJSONTensor(runtime.Tensor{Type: runtime.Float32, Data: []byte{1, 2, 3}}); !errors.Is(err, runtime.ErrInvalidInput) {
		t.Fatalf("3 bytes of FP32: %v", err)
	}
}
