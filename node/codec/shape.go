package codec

import (
	"fmt"
	"math"

	"github.com/edgeserve/edgeserve/runtime"
)

// MaxElements bounds the element count a shape may declare, so a hostile
// shape cannot make a decoder allocate without limit. Byte counts are bounded
// separately by the request size limits.
const MaxElements = 1 << 31

// NumElements returns the element count of shape, rejecting negative
// dimensions and products above MaxElements.
func NumElements(shape []int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in shape %v", runtime.ErrInvalidInput, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("%w: shape %v has too many elements", runtime.ErrInvalidInput, shape)
		}
		n *= d
	}
	return n, nil
}

// byteSize returns the byte count a tensor of type t and shape must have.
func byteSize(t runtime.DataType, shape []int64) (int64, error) {
	n, err := NumElements(shape)
	if err != nil {
		return 0, err
	}
	size := int64(ElemSize(t))
	if size == 0 {
		return 0, fmt.Errorf("%w: datatype %v has no fixed size", runtime.ErrInvalidInput, t)
	}
	if n > math.MaxInt64/size {
		return 0, fmt.Errorf("%w: shape %v too large", runtime.ErrInvalidInput, shape)
	}
	return n * size, nil
}
