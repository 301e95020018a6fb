package codec

import (
	"encoding/binary"
	"math"

	"github.com/edgeserve/edgeserve/runtime"
)

// elemValue decodes one little-endian element as the Go value JSON shows
// for it: float64 for floating types, int64, uint64 or bool otherwise.
func elemValue(t runtime.DataType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case runtime.Bool:
		return b[0] != 0
	case runtime.Int8:
		return int64(int8(b[0]))
	case runtime.Int16:
		return int64(int16(le.Uint16(b)))
	case runtime.Int32:
		return int64(int32(le.Uint32(b)))
	case runtime.Int64:
		return int64(le.Uint64(b))
	case runtime.Uint8:
		return uint64(b[0])
	case runtime.Uint16:
		return uint64(le.Uint16(b))
	case runtime.Uint32:
		return uint64(le.Uint32(b))
	case runtime.Uint64:
		return le.Uint64(b)
	case runtime.Float16:
		return float64(HalfToFloat32(le.Uint16(b)))
	case runtime.BFloat16:
		return float64(BFloat16ToFloat32(le.Uint16(b)))
	case runtime.Float32:
		return float64(math.Float32frombits(le.Uint32(b)))
	case runtime.Float64:
		return math.Float64frombits(le.Uint64(b))
	}
	return nil
}
