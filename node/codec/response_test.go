package codec

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestWriteJSONResponse: the written response is what encoding/json
// makes of the same value.
func TestWriteJSONResponse(t *testing.T) {
	y, err := EncodeJSONTensor(runtime.Tensor{Name: "y", Type: runtime.Float32, Shape: []int64{1, 2}, Data: f32bytes(1.5, -2)})
	if err != nil {
		t.Fatal(err)
	}
	z := EncodeBinaryOutput(runtime.Tensor{Name: "z", Type: runtime.Int8, Shape: []int64{3}, Data: []byte{1, 2, 3}})
	for _, resp := range []JSONResponse{
		{ModelName: "m", ModelVersion: "2", ID: "r<1>", Parameters: map[string]any{"k": "v"}, Outputs: []JSONTensor{y, z, y}},
		{ModelName: "m", Outputs: []JSONTensor{}},
		{ModelName: "m"},
	} {
		var got, want bytes.Buffer
		if err := WriteJSONResponse(&got, resp); err != nil {
			t.Fatal(err)
		}
		if err := json.NewEncoder(&want).Encode(resp); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("wrote %s\nencoding/json: %s", got.String(), want.String())
		}
	}
}
