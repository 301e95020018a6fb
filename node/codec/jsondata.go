package codec

import (
	"fmt"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/go-json-experiment/json/jsontext"
)

// readData reads a (possibly nested) array of n elements of dt into a
// buffer allocated once. It stops at the first element beyond n, so its
// work is bounded by the shape as well as by the body.
func readData(dec *jsontext.Decoder, dt runtime.DataType, n int64, lim Limits) ([]byte, error) {
	switch k := dec.PeekKind(); k {
	case '[':
	case '{':
		return nil, fmt.Errorf("%w: data: objects are not tensor elements", runtime.ErrInvalidInput)
	case 0:
		_, err := dec.ReadToken()
		return nil, dataErr(err)
	default:
		return nil, fmt.Errorf("%w: data must be an array", runtime.ErrInvalidInput)
	}
	out, err := allocData(dt, n, lim)
	if err != nil {
		return nil, err
	}
	base, count := dec.StackDepth(), int64(0)
	for {
		switch k := dec.PeekKind(); k {
		case '[', ']':
			if _, err := dec.ReadToken(); err != nil {
				return nil, dataErr(err)
			}
			if dec.StackDepth() == base {
				return out, checkCount(count, n)
			}
		case '{':
			return nil, fmt.Errorf("%w: data: objects are not tensor elements", runtime.ErrInvalidInput)
		case 0:
			_, err := dec.ReadToken()
			return nil, dataErr(err)
		default:
			if count++; count > n {
				return nil, fmt.Errorf("%w: more than %d elements in data for shape", runtime.ErrInvalidInput, n)
			}
			v, err := dec.ReadValue()
			if err != nil {
				return nil, dataErr(err)
			}
			if out, err = appendElem(out, dt, k, v); err != nil {
				return nil, err
			}
		}
	}
}

func dataErr(err error) error {
	return fmt.Errorf("%w: data: %w", runtime.ErrInvalidInput, err)
}

func checkCount(count, n int64) error {
	if count != n {
		return fmt.Errorf("%w: %d elements in data, shape needs %d", runtime.ErrInvalidInput, count, n)
	}
	return nil
}
