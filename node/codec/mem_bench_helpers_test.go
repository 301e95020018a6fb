package codec

import (
	"io"

	"github.com/edgeserve/edgeserve/runtime"
)

// The node's HTTP paths, as the request-memory benchmarks measure them:
// the body streams into the decoders, within its known size.

func benchDecodeJSON(r io.Reader, size int64) ([]runtime.Tensor, error) {
	_, ts, err := DecodeJSONRequestLimited(r, Limits{MaxBytes: size})
	return ts, err
}

func benchEncodeJSON(w io.Writer, out runtime.Tensor) error {
	jt, err := EncodeJSONTensor(out)
	if err != nil {
		return err
	}
	return WriteJSONResponse(w, JSONResponse{ModelName: "m", Outputs: []JSONTensor{jt}})
}

func benchDecodeBinary(r io.Reader, size, headerLen int64) ([]runtime.Tensor, error) {
	_, ts, err := DecodeBinaryStream(r, headerLen, Limits{MaxBytes: size})
	return ts, err
}
