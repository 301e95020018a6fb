package zoo

// inceptionV3Size is InceptionV3's input resolution.
const inceptionV3Size = 299

// inceptionV3 builds InceptionV3 (Szegedy et al. 2016) as Keras
// Applications defines it, without the auxiliary classifier: a stem of
// plain convolutions, three 35×35 blocks (mixed0-2), a reduction (mixed3),
// four 17×17 blocks with factorised 7×7 convolutions (mixed4-7), a
// reduction (mixed8) and two 8×8 blocks (mixed9-10). Every convolution is
// bias-free and followed by BatchNormalization and ReLU. Keras's
// BatchNormalization there has no scale; ONNX's needs one, so the graph
// carries gamma = 1 as well: 23,869,000 parameters, Keras's 23,851,784
// plus 17,216.
func inceptionV3() *graph {
	g := newGraph("inception_v3")
	x := g.inceptionStem(g.imageInput(inceptionV3Size))
	for _, pool := range []int64{32, 64, 64} {
		x = g.inceptionA(x, pool)
	}
	x = g.inceptionB(x)
	for _, c := range []int64{128, 160, 160, 192} {
		x = g.inceptionC(x, c)
	}
	x = g.inceptionD(x)
	x = g.inceptionE(x)
	x = g.inceptionE(x)
	g.head(x)
	return g
}

// cbr is a same-padded kh×kw conv -> BN -> ReLU.
func (g *graph) cbr(x value, out, kh, kw int64) value {
	return g.convBNReLU(x, same(out, kh, kw))
}

// poolBranch is 3×3 average pooling (stride 1, same) then a 1×1 conv.
func (g *graph) poolBranch(x value, out int64) value {
	return g.cbr(g.avgPool(x, 3, 1, 1), out, 1, 1)
}

// inceptionA is a 35×35 block (mixed0-2): 1×1, 5×5, double 3×3, pool.
func (g *graph) inceptionA(x value, pool int64) value {
	b1 := g.cbr(x, 64, 1, 1)
	b5 := g.cbr(g.cbr(x, 48, 1, 1), 64, 5, 5)
	b3 := g.cbr(g.cbr(g.cbr(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
	return g.concat(b1, b5, b3, g.poolBranch(x, pool))
}

// inceptionB is the 35→17 reduction (mixed3).
func (g *graph) inceptionB(x value) value {
	b3 := g.convBNReLU(x, square(384, 3, 2, 0))
	d := g.cbr(g.cbr(x, 64, 1, 1), 96, 3, 3)
	d = g.convBNReLU(d, square(96, 3, 2, 0))
	return g.concat(b3, d, g.maxPool(x, 3, 2, 0, false))
}

// inceptionC is a 17×17 block (mixed4-7) with 7×7 convolutions factorised
// into 1×7 and 7×1; c is the width of the inner convolutions.
func (g *graph) inceptionC(x value, c int64) value {
	b1 := g.cbr(x, 192, 1, 1)
	b7 := g.cbr(g.cbr(g.cbr(x, c, 1, 1), c, 1, 7), 192, 7, 1)
	d := g.cbr(g.cbr(x, c, 1, 1), c, 7, 1)
	d = g.cbr(g.cbr(g.cbr(d, c, 1, 7), c, 7, 1), 192, 1, 7)
	return g.concat(b1, b7, d, g.poolBranch(x, 192))
}

// inceptionD is the 17→8 reduction (mixed8).
func (g *graph) inceptionD(x value) value {
	b3 := g.convBNReLU(g.cbr(x, 192, 1, 1), square(320, 3, 2, 0))
	b7 := g.cbr(g.cbr(g.cbr(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
	b7 = g.convBNReLU(b7, square(192, 3, 2, 0))
	return g.concat(b3, b7, g.maxPool(x, 3, 2, 0, false))
}

// inceptionE is an 8×8 block (mixed9-10) whose 3×3 branches split into
// parallel 1×3 and 3×1 convolutions.
func (g *graph) inceptionE(x value) value {
	b1 := g.cbr(x, 320, 1, 1)
	b3 := g.cbr(x, 384, 1, 1)
	b3 = g.concat(g.cbr(b3, 384, 1, 3), g.cbr(b3, 384, 3, 1))
	d := g.cbr(g.cbr(x, 448, 1, 1), 384, 3, 3)
	d = g.concat(g.cbr(d, 384, 1, 3), g.cbr(d, 384, 3, 1))
	return g.concat(b1, b3, d, g.poolBranch(x, 192))
}
