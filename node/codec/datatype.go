package codec

import (
	"fmt"

	"github.com/edgeserve/edgeserve/runtime"
)

// The protocol's datatype strings, in runtime.DataType order.
var datatypeNames = map[runtime.DataType]string{
	runtime.Bool:     "BOOL",
	runtime.Uint8:    "UINT8",
	runtime.Uint16:   "UINT16",
	runtime.Uint32:   "UINT32",
	runtime.Uint64:   "UINT64",
	runtime.Int8:     "INT8",
	runtime.Int16:    "INT16",
	runtime.Int32:    "INT32",
	runtime.Int64:    "INT64",
	runtime.Float16:  "FP16",
	runtime.BFloat16: "BF16",
	runtime.Float32:  "FP32",
	runtime.Float64:  "FP64",
	runtime.String:   "BYTES",
}

// DataTypeName returns the protocol's name for t ("FP32"), or "" when the
// protocol has none.
func DataTypeName(t runtime.DataType) string { return datatypeNames[t] }

// ParseDataType returns the element type a protocol datatype string names.
// BYTES (strings) is recognised but rejected: no backend runs string tensors.
func ParseDataType(s string) (runtime.DataType, error) {
	for t, name := range datatypeNames {
		if name == s && t != runtime.String {
			return t, nil
		}
	}
	return runtime.Invalid, fmt.Errorf("%w: unsupported datatype %q", runtime.ErrInvalidInput, s)
}
