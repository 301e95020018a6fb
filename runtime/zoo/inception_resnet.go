package zoo

// inceptionResNetV2 builds Inception-ResNet-v2 (Szegedy et al. 2016) as
// Keras Applications defines it: the InceptionV3-like stem, mixed_5b, ten
// 35×35 residual blocks, a reduction, twenty 17×17 residual blocks, a
// reduction, ten 8×8 residual blocks (the last without activation) and a
// final 1×1 conv. Each residual branch ends in a 1×1 conv with bias and
// no BatchNormalization whose output is scaled before the addition.
// 55,904,008 parameters: Keras's published 55,873,736 plus 30,272 for the
// BatchNormalization scale (gamma) Keras omits and ONNX requires.
func inceptionResNetV2() *graph {
	g := newGraph("inception_resnet_v2")
	x := g.inceptionStem(g.imageInput(inceptionV3Size))
	x = g.concat(
		g.cbr(x, 96, 1, 1),
		g.cbr(g.cbr(x, 48, 1, 1), 64, 5, 5),
		g.cbr(g.cbr(g.cbr(x, 64, 1, 1), 96, 3, 3), 96, 3, 3),
		g.poolBranch(x, 64),
	)
	for range 10 {
		x = g.residual(x, 0.17, true, g.block35(x)...)
	}
	x = g.concat(
		g.convBNReLU(x, square(384, 3, 2, 0)),
		g.convBNReLU(g.cbr(g.cbr(x, 256, 1, 1), 256, 3, 3), square(384, 3, 2, 0)),
		g.maxPool(x, 3, 2, 0, false),
	)
	for range 20 {
		x = g.residual(x, 0.1, true, g.block17(x)...)
	}
	x = g.concat(
		g.convBNReLU(g.cbr(x, 256, 1, 1), square(384, 3, 2, 0)),
		g.convBNReLU(g.cbr(x, 256, 1, 1), square(288, 3, 2, 0)),
		g.convBNReLU(g.cbr(g.cbr(x, 256, 1, 1), 288, 3, 3), square(320, 3, 2, 0)),
		g.maxPool(x, 3, 2, 0, false),
	)
	for i := range 10 {
		last := i == 9
		scale := float32(0.2)
		if last {
			scale = 1
		}
		x = g.residual(x, scale, !last, g.block8(x)...)
	}
	g.head(g.cbr(x, 1536, 1, 1))
	return g
}

// inceptionStem is the stem InceptionV3 and Inception-ResNet-v2 share,
// 299×299×3 to 35×35×192.
func (g *graph) inceptionStem(x value) value {
	x = g.convBNReLU(x, square(32, 3, 2, 0))
	x = g.convBNReLU(x, square(32, 3, 1, 0))
	x = g.cbr(x, 64, 3, 3)
	x = g.maxPool(x, 3, 2, 0, false)
	x = g.convBNReLU(x, square(80, 1, 1, 0))
	x = g.convBNReLU(x, square(192, 3, 1, 0))
	return g.maxPool(x, 3, 2, 0, false)
}

func (g *graph) block35(x value) []value {
	return []value{
		g.cbr(x, 32, 1, 1),
		g.cbr(g.cbr(x, 32, 1, 1), 32, 3, 3),
		g.cbr(g.cbr(g.cbr(x, 32, 1, 1), 48, 3, 3), 64, 3, 3),
	}
}

func (g *graph) block17(x value) []value {
	return []value{
		g.cbr(x, 192, 1, 1),
		g.cbr(g.cbr(g.cbr(x, 128, 1, 1), 160, 1, 7), 192, 7, 1),
	}
}

func (g *graph) block8(x value) []value {
	return []value{
		g.cbr(x, 192, 1, 1),
		g.cbr(g.cbr(g.cbr(x, 192, 1, 1), 224, 1, 3), 256, 3, 1),
	}
}

// residual concatenates the branches, projects them back to x's width with
// a biased 1×1 conv, and returns x + scale·projection, through ReLU when
// activate is set.
func (g *graph) residual(x value, scale float32, activate bool, branches ...value) value {
	up := g.conv(g.concat(branches...), square(x.ch, 1, 1, 0).withBias())
	up = up.as(g.node("Mul", []string{up.name, g.auxConstant(scale)}))
	up.mu, up.ms = up.mu*float64(scale), up.ms*float64(scale*scale)
	y := g.add(x, up)
	if activate {
		y = g.relu(y)
	}
	return y
}
