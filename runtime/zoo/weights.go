package zoo

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// initializer is a float32 weight tensor whose values are drawn only when
// the model is encoded: either a constant or uniform noise in [-bound, bound].
// Each tensor draws from its own PCG stream (model seed, tensor index), so
// its values do not depend on how the others are produced.
type initializer struct {
	name  string
	dims  []int64
	bound float32 // > 0: uniform in [-bound, bound]; 0: every element is value
	value float32
	// aux marks an operator argument (a Clip bound, Pad's pads), not a
	// model parameter.
	aux bool
	// ints, when set, makes this an INT64 tensor holding exactly these
	// values (operator arguments such as pads and slice bounds).
	ints []int64
}

func (in initializer) dataType() onnxpb.TensorProto_DataType {
	if in.ints != nil {
		return onnxpb.TensorProto_INT64
	}
	return onnxpb.TensorProto_FLOAT
}

// rawBytes is the size of the tensor's raw_data.
func (in initializer) rawBytes() int64 {
	if in.ints != nil {
		return 8 * int64(len(in.ints))
	}
	return 4 * in.elems()
}

func (in initializer) elems() int64 {
	n := int64(1)
	for _, d := range in.dims {
		n *= d
	}
	return n
}

// weight adds a randomly initialised tensor with He-uniform scaling for the
// given fan-in (variance 2/fanIn keeps ReLU activations at a stable scale).
func (g *graph) weight(prefix string, fanIn int64, dims ...int64) string {
	return g.addInit(initializer{
		name:  g.fresh(prefix),
		dims:  dims,
		bound: float32(math.Sqrt(6 / float64(fanIn))),
	})
}

// smallWeight adds a tensor with LeCun-uniform scaling (variance 1/fanIn),
// used for biases and classifier layers whose output feeds Softmax.
func (g *graph) smallWeight(prefix string, fanIn int64, dims ...int64) string {
	return g.addInit(initializer{
		name:  g.fresh(prefix),
		dims:  dims,
		bound: float32(math.Sqrt(3 / float64(fanIn))),
	})
}

// constant adds a tensor whose elements all equal v.
func (g *graph) constant(prefix string, v float32, dims ...int64) string {
	return g.addInit(initializer{name: g.fresh(prefix), dims: dims, value: v})
}

// auxConstant adds a scalar operator argument that is not counted as a
// parameter. Each distinct value is stored once per graph.
func (g *graph) auxConstant(v float32) string {
	for _, in := range g.inits {
		if in.aux && in.value == v {
			return in.name
		}
	}
	return g.addInit(initializer{name: g.fresh("const"), value: v, aux: true})
}

// auxInts adds a 1-D INT64 operator argument, not counted as a parameter.
func (g *graph) auxInts(vs ...int64) string {
	return g.addInit(initializer{name: g.fresh("ints"), dims: []int64{int64(len(vs))}, ints: vs, aux: true})
}

func (g *graph) addInit(in initializer) string {
	g.inits = append(g.inits, in)
	return in.name
}

// fillChunkElems is how many float32 values are drawn per write: large
// enough to amortise the write call, small enough to stay in cache.
const fillChunkElems = 1 << 14

// fill writes the tensor's elements to emit in little-endian float32 chunks,
// using buf (at least 4·fillChunkElems bytes) as scratch space.
func (in initializer) fill(seed, stream uint64, buf []byte, emit func([]byte) error) error {
	if in.ints != nil {
		return emit(in.intBytes())
	}
	src := rand.NewPCG(seed, stream)
	for left := in.elems(); left > 0; {
		n := min(left, fillChunkElems)
		in.draw(src, buf[:4*n])
		if err := emit(buf[:4*n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func (in initializer) intBytes() []byte {
	b := make([]byte, 0, 8*len(in.ints))
	for _, v := range in.ints {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// draw fills buf with the tensor's values. Each 64-bit draw yields two
// 24-bit uniform numbers (a float32's full mantissa precision), which
// halves the generator's cost on VGG-16's 138 M weights.
func (in initializer) draw(src *rand.PCG, buf []byte) {
	if in.bound == 0 {
		bits := math.Float32bits(in.value)
		for i := 0; i < len(buf); i += 4 {
			binary.LittleEndian.PutUint32(buf[i:], bits)
		}
		return
	}
	const unit = 1.0 / (1 << 24)
	scale := 2 * in.bound * unit
	put := func(i int, u uint64) {
		binary.LittleEndian.PutUint32(buf[i:], math.Float32bits(float32(u&(1<<24-1))*scale-in.bound))
	}
	i := 0
	for ; i+8 <= len(buf); i += 8 {
		u := src.Uint64()
		put(i, u>>40)
		put(i+4, u>>8)
	}
	if i < len(buf) {
		put(i, src.Uint64()>>40)
	}
}
