package zoo

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
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
	// aux marks an operator argument (a Clip bound), not a model parameter.
	aux bool
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

func (g *graph) addInit(in initializer) string {
	g.inits = append(g.inits, in)
	return in.name
}

// fillChunkElems is how many float32 values are drawn per write: large
// enough to amortise the write call, small enough to stay in cache.
const fillChunkElems = 1 << 14

// fill writes the tensor's elements to emit in little-endian float32 chunks.
func (in initializer) fill(seed, stream uint64, emit func([]byte) error) error {
	rng := rand.New(rand.NewPCG(seed, stream))
	buf := make([]byte, 4*fillChunkElems)
	for left := in.elems(); left > 0; {
		n := min(left, fillChunkElems)
		in.draw(rng, buf[:4*n])
		if err := emit(buf[:4*n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func (in initializer) draw(rng *rand.Rand, buf []byte) {
	if in.bound == 0 {
		bits := math.Float32bits(in.value)
		for i := 0; i < len(buf); i += 4 {
			binary.LittleEndian.PutUint32(buf[i:], bits)
		}
		return
	}
	scale := 2 * in.bound
	for i := 0; i < len(buf); i += 4 {
		v := rng.Float32()*scale - in.bound
		binary.LittleEndian.PutUint32(buf[i:], math.Float32bits(v))
	}
}
