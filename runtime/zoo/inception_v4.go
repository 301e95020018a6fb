package zoo

// inceptionV4 builds Inception-v4 (Szegedy et al. 2016, as TF-slim and
// Cadene's pretrained-models define it): a stem with three parallel
// splits, four Inception-A, a reduction, seven Inception-B, a reduction and
// three Inception-C blocks, every conv bias-free with BatchNormalization and
// ReLU. 42,742,984 parameters: the published 42,679,816 (gamma and beta
// counted, as PyTorch ports report it) plus the BatchNormalization statistics.
func inceptionV4() *graph {
	g := newGraph("inception_v4")
	x := g.imageInput(inceptionV3Size)
	x = g.convBNReLU(x, square(32, 3, 2, 0))
	x = g.convBNReLU(x, square(32, 3, 1, 0))
	x = g.cbr(x, 64, 3, 3)
	x = g.concat(g.maxPool(x, 3, 2, 0, false), g.convBNReLU(x, square(96, 3, 2, 0)))
	x = g.concat(
		g.convBNReLU(g.cbr(x, 64, 1, 1), square(96, 3, 1, 0)),
		g.convBNReLU(g.cbr(g.cbr(g.cbr(x, 64, 1, 1), 64, 1, 7), 64, 7, 1), square(96, 3, 1, 0)),
	)
	x = g.concat(g.convBNReLU(x, square(192, 3, 2, 0)), g.maxPool(x, 3, 2, 0, false))
	for range 4 {
		x = g.concat(
			g.cbr(x, 96, 1, 1),
			g.cbr(g.cbr(x, 64, 1, 1), 96, 3, 3),
			g.cbr(g.cbr(g.cbr(x, 64, 1, 1), 96, 3, 3), 96, 3, 3),
			g.poolBranch(x, 96),
		)
	}
	x = g.concat(
		g.convBNReLU(x, square(384, 3, 2, 0)),
		g.convBNReLU(g.cbr(g.cbr(x, 192, 1, 1), 224, 3, 3), square(256, 3, 2, 0)),
		g.maxPool(x, 3, 2, 0, false),
	)
	for range 7 {
		x = g.inceptionV4B(x)
	}
	x = g.concat(
		g.convBNReLU(g.cbr(x, 192, 1, 1), square(192, 3, 2, 0)),
		g.convBNReLU(g.cbr(g.cbr(g.cbr(x, 256, 1, 1), 256, 1, 7), 320, 7, 1), square(320, 3, 2, 0)),
		g.maxPool(x, 3, 2, 0, false),
	)
	for range 3 {
		x = g.inceptionV4C(x)
	}
	g.head(x)
	return g
}

// inceptionV4B is a 17×17 block with factorised 7×7 convolutions.
func (g *graph) inceptionV4B(x value) value {
	d := g.cbr(g.cbr(g.cbr(x, 192, 1, 1), 192, 7, 1), 224, 1, 7)
	d = g.cbr(g.cbr(d, 224, 7, 1), 256, 1, 7)
	return g.concat(
		g.cbr(x, 384, 1, 1),
		g.cbr(g.cbr(g.cbr(x, 192, 1, 1), 224, 1, 7), 256, 7, 1),
		d,
		g.poolBranch(x, 128),
	)
}

// inceptionV4C is an 8×8 block whose 3×3 branches split into 1×3 and 3×1.
func (g *graph) inceptionV4C(x value) value {
	b := g.cbr(x, 384, 1, 1)
	d := g.cbr(g.cbr(g.cbr(x, 384, 1, 1), 448, 3, 1), 512, 1, 3)
	return g.concat(
		g.cbr(x, 256, 1, 1),
		g.cbr(b, 256, 1, 3), g.cbr(b, 256, 3, 1),
		g.cbr(d, 256, 1, 3), g.cbr(d, 256, 3, 1),
		g.poolBranch(x, 256),
	)
}
