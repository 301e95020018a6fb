package codec

import (
	"fmt"

	"github.com/edgeserve/edgeserve/runtime"
)

// Limits bound what decoding one request may allocate.
type Limits struct {
	// MaxBytes is the most bytes the request body holds (0: unknown). When
	// set, a shape declaring more elements than a body of this size could
	// write is refused before anything is allocated, and each tensor's
	// buffer is allocated once at its final size.
	MaxBytes int64
	// Reserve, when set, is asked for n bytes before a decoder allocates a
	// tensor buffer (or keeps a copy of undecoded data) of that size; its
	// error ends the decoding and is returned as is.
	Reserve func(n int64) error
}

func (l Limits) reserve(n int64) error {
	if l.Reserve == nil || n <= 0 {
		return nil
	}
	return l.Reserve(n)
}

// allocData returns an empty buffer for n elements of dt, charged to the
// limits. Every JSON element takes at least two bytes of body (a digit and
// a separator, bar the last), which bounds n by the body size.
func allocData(dt runtime.DataType, n int64, lim Limits) ([]byte, error) {
	size := int64(dt.ElementSize())
	if lim.MaxBytes > 0 && n > (lim.MaxBytes+1)/2 {
		return nil, fmt.Errorf("%w: shape needs %d elements, more than a %d-byte body can hold", runtime.ErrInvalidInput, n, lim.MaxBytes)
	}
	if err := lim.reserve(n * size); err != nil {
		return nil, err
	}
	if lim.MaxBytes <= 0 {
		n = min(n, 1<<20) // unknown body size: grow as elements arrive
	}
	return make([]byte, 0, n*size), nil
}
