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

func benchDecodeBinary(r io.Reader, size, headerLen int64) ([]runtime.Tensor, error) {
	_, ts, err := DecodeBinaryStream(r, headerLen, Limits{MaxBytes: size})
	return ts, err
}
