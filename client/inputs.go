package client

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/edgeserve/edgeserve/node/codec"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

// maxSeededBytes bounds the inputs SeededInputs makes: metadata comes from
// a node, and a request this large would exceed any node's request limit.
const maxSeededBytes = 1 << 30

// SeededInputs makes tensors for a model's inputs (its metadata's input
// specs) filled with data drawn from a generator seeded with seed, so the
// same specs and seed always give the same bytes. Dynamic dimensions (-1)
// are batch. Floats are in [-1, 1), integers in [0, 10), booleans fair;
// an input of a type without a fixed size (BYTES) is an error, and so are
// inputs of more than 1 GiB in all.
func SeededInputs(specs []*pb.ModelMetadataResponse_TensorMetadata, batch int64, seed uint64) ([]runtime.Tensor, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]runtime.Tensor, len(specs))
	var total int64
	for i, s := range specs {
		dt, err := codec.ParseDataType(s.GetDatatype())
		if err != nil {
			return nil, fmt.Errorf("client: input %s: %w", s.GetName(), err)
		}
		shape := make([]int64, len(s.GetShape()))
		for j, d := range s.GetShape() {
			shape[j] = d
			if d < 0 {
				shape[j] = batch
			}
		}
		n, err := codec.NumElements(shape)
		if err != nil {
			return nil, fmt.Errorf("client: input %s: %w", s.GetName(), err)
		}
		if total += n * int64(dt.ElementSize()); total > maxSeededBytes {
			return nil, fmt.Errorf("client: inputs over %d bytes (input %s has shape %v)", maxSeededBytes, s.GetName(), shape)
		}
		out[i] = runtime.Tensor{Name: s.GetName(), Type: dt, Shape: shape, Data: seededData(dt, n, rng)}
	}
	return out, nil
}

// seededData draws n elements of type dt.
func seededData(dt runtime.DataType, n int64, rng *rand.Rand) []byte {
	size := dt.ElementSize()
	b := make([]byte, n*int64(size))
	le := binary.LittleEndian
	for i := int64(0); i < n; i++ {
		e := b[i*int64(size):]
		f := float32(rng.Float64()*2 - 1)
		switch dt {
		case runtime.Float32:
			le.PutUint32(e, math.Float32bits(f))
		case runtime.Float64:
			le.PutUint64(e, math.Float64bits(float64(f)))
		case runtime.Float16:
			le.PutUint16(e, codec.Float32ToHalf(f))
		case runtime.BFloat16:
			le.PutUint16(e, codec.Float32ToBFloat16(f))
		case runtime.Bool:
			e[0] = byte(rng.IntN(2))
		default:
			v := uint64(rng.IntN(10))
			for k := 0; k < size; k++ {
				e[k] = byte(v >> (8 * k))
			}
		}
	}
	return b
}
