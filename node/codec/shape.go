package codec

import (
	"fmt"

	"github.com/edgeserve/edgeserve/runtime"
)

// MaxElements bounds the element count a shape may declare, so a hostile
// shape cannot make a decoder allocate without limit. Byte counts are bounded
// separately by the request size limits.
const MaxElements = 1 << 31

// NumElements returns the element count of shape, rejecting negative
// dimensions and products above MaxElements. It only sizes the wire data;
// whether the shape suits the model is runtime.Signature.Bind's to say.
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

// byteSize returns the byte count the wire data of a tensor of type t and
// shape must have: runtime.ByteSize, after NumElements has named what is
// wrong with a hostile shape.
func byteSize(t runtime.DataType, shape []int64) (int64, error) {
	if _, err := NumElements(shape); err != nil {
		return 0, err
	}
	n, ok := runtime.ByteSize(t, shape)
	if !ok {
		return 0, fmt.Errorf("%w: shape %v of %s has no valid byte size", runtime.ErrInvalidInput, shape, DataTypeName(t))
	}
	return n, nil
}
