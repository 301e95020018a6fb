package codec

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

func binaryBody(header string, data ...[]byte) ([]byte, int64) {
	return append([]byte(header), bytes.Join(data, nil)...), int64(len(header))
}

func TestDecodeBinaryRequest(t *testing.T) {
	header := `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},
		{"name":"b","shape":[1],"datatype":"INT8","data":[-3]},
		{"name":"c","shape":[3],"datatype":"UINT8","parameters":{"binary_data_size":3}}],
		"outputs":[{"name":"y","parameters":{"binary_data":true}},{"name":"z"}]}`
	body, n := binaryBody(header, f32bytes(1, 2), []byte{7, 8, 9})
	req, ts, err := DecodeBinaryRequest(body, n)
	if err != nil {
		t.Fatal(err)
	}
	if string(ts[0].Data) != string(f32bytes(1, 2)) || string(ts[1].Data) != "\xfd" || string(ts[2].Data) != "\x07\x08\x09" {
		t.Fatalf("tensors = %+v", ts)
	}
	bin := BinaryOutputs(req)
	if !bin("y") || bin("z") {
		t.Fatal("binary_data output parameters misread")
	}
	allBody := `{"inputs":[],"parameters":{"binary_data_output":true}}`
	all, _, err := DecodeBinaryRequest([]byte(allBody), int64(len(allBody)))
	if err != nil || !BinaryOutputs(all)("anything") {
		t.Fatal("binary_data_output misread")
	}
}

func TestDecodeBinaryRequestMalformed(t *testing.T) {
	in := func(size string) string {
		return `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":` + size + `}}]}`
	}
	tests := []struct {
		name   string
		header string
		data   []byte
		hlen   int64
		msg    string
	}{
		{"header length beyond body", in("8"), f32bytes(1, 2), 1000, "outside"},
		{"negative header length", in("8"), f32bytes(1, 2), -1, "outside"},
		{"header cut short", in("8"), f32bytes(1, 2), 10, "request body"},
		{"size not shape", in("4"), f32bytes(1), -2, "needs 8"},
		{"size beyond data", in("8"), f32bytes(1), -2, "4 bytes left"},
		{"extra bytes", in("8"), f32bytes(1, 2, 3), -2, "belong to no input"},
		{"fractional size", in("7.5"), f32bytes(1, 2), -2, "not a byte count"},
		{"string size", in(`"8"`), f32bytes(1, 2), -2, "not a byte count"},
		{"data and binary", `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1,2],"parameters":{"binary_data_size":8}}]}`, f32bytes(1, 2), -2, "both data"},
		{"data before binary", `{"inputs":[{"data":[1,2],"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`, f32bytes(1, 2), -2, "both data"},
		{"json after header", in("8") + ` {}`, f32bytes(1, 2), -2, "after the JSON object"},
		{"two inputs, second short", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}},` +
			`{"name":"b","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`, f32bytes(1, 2), -2, "4 bytes left"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, n := binaryBody(tc.header, tc.data)
			if tc.hlen != -2 {
				n = tc.hlen
			}
			_, _, err := DecodeBinaryRequest(body, n)
			if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidInput containing %q", err, tc.msg)
			}
		})
	}
}

// FuzzDecodeBinaryRequest: any body and header length decode into tensors
// of consistent size or fail with ErrInvalidInput.
func FuzzDecodeBinaryRequest(f *testing.F) {
	h := `{"inputs":[{"name":"a","shape":[2],"datatype":"FP16","parameters":{"binary_data_size":4}}]}`
	f.Add(append([]byte(h), 1, 2, 3, 4), int64(len(h)))
	f.Add([]byte(`{"inputs":[]}`), int64(13))
	f.Fuzz(func(t *testing.T, body []byte, n int64) {
		_, ts, err := DecodeBinaryRequest(body, n)
		_, unsized, uerr := DecodeBinaryStream(bytes.NewReader(body), n, Limits{})
		if (err == nil) != (uerr == nil) {
			t.Fatalf("sized: %v; size unknown: %v", err, uerr)
		}
		if err != nil {
			if !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		checkSizes(t, ts)
		for i := range ts {
			if !bytes.Equal(ts[i].Data, unsized[i].Data) {
				t.Fatalf("tensor %d: %v, read with unknown size %v", i, ts[i].Data, unsized[i].Data)
			}
		}
	})
}

// TestDecodeBinaryStream: binary inputs are read from the stream into
// buffers of their own, charged at their size, whether or not the body's
// size is known; a short body is refused by what it lacks.
func TestDecodeBinaryStream(t *testing.T) {
	header := `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},` +
		`{"name":"b","shape":[1],"datatype":"INT8","data":[-3]}]}`
	body, n := binaryBody(header, f32bytes(1, 2))
	for _, size := range []int64{int64(len(body)), 0} {
		var asked []int64
		lim := Limits{MaxBytes: size, Reserve: func(n int64) error { asked = append(asked, n); return nil }}
		_, ts, err := DecodeBinaryStream(netBody(body), n, lim)
		if err != nil {
			t.Fatal(err)
		}
		if string(ts[0].Data) != string(f32bytes(1, 2)) || string(ts[1].Data) != "\xfd" {
			t.Fatalf("size %d: tensors %+v", size, ts)
		}
		if size > 0 && fmt.Sprint(asked) != "[1 8]" {
			t.Fatalf("reserved %v, want [1 8] (b's buffer in the header, then a's)", asked)
		}
		_, _, err = DecodeBinaryStream(netBody(body[:len(body)-3]), n, Limits{})
		if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), "5 bytes left") {
			t.Fatalf("short body: %v", err)
		}
	}
}
