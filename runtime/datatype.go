package runtime

import (
	"fmt"
	"strings"
)

// dataTypeInfo is the Open Inference Protocol name and element size of one
// DataType.
type dataTypeInfo struct {
	name string
	size int
}

// dataTypes maps every DataType EdgeServe understands to its protocol name
// and element size in bytes. It is read-only after initialisation.
var dataTypes = map[DataType]dataTypeInfo{
	Float32:  {"FP32", 4},
	Float16:  {"FP16", 2},
	BFloat16: {"BF16", 2},
	Float64:  {"FP64", 8},
	Int8:     {"INT8", 1},
	Int16:    {"INT16", 2},
	Int32:    {"INT32", 4},
	Int64:    {"INT64", 8},
	Uint8:    {"UINT8", 1},
	Uint16:   {"UINT16", 2},
	Uint32:   {"UINT32", 4},
	Uint64:   {"UINT64", 8},
	Bool:     {"BOOL", 1},
	String:   {"BYTES", 0},
}

// String returns the Open Inference Protocol name ("FP32", "INT64", ...).
func (d DataType) String() string {
	if info, ok := dataTypes[d]; ok {
		return info.name
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// ElementSize is the size of one element in bytes, or 0 for types without a
// fixed size (String) and for unknown types.
func (d DataType) ElementSize() int {
	return dataTypes[d].size
}

// Fixed reports whether d is a known type with a fixed element size, the
// kind of tensor the backends can run.
func (d DataType) Fixed() bool {
	return d.ElementSize() > 0
}

// ParseDataType turns an Open Inference Protocol datatype name into a
// DataType. Matching is case-insensitive.
func ParseDataType(name string) (DataType, error) {
	upper := strings.ToUpper(name)
	for d, info := range dataTypes {
		if info.name == upper {
			return d, nil
		}
	}
	return Invalid, fmt.Errorf("runtime: unknown datatype %q", name)
}
