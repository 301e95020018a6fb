package zoo

// squeezeNet11 builds SqueezeNet 1.1 (Iandola et al. 2016; the torchvision
// variant with 3×3 stem and early pooling): fire modules, no fully connected
// layer, the classifier is a 1×1 convolution followed by ReLU and global
// average pooling. 1,235,496 parameters.
func squeezeNet11() *graph {
	g := newGraph("squeezenet1.1")
	x := g.imageInput(defaultSize)
	x = g.relu(g.conv(x, square(64, 3, 2, 0).withBias()))
	x = g.maxPool(x, 3, 2, 0, true)
	x = g.fire(x, 16, 64)
	x = g.fire(x, 16, 64)
	x = g.maxPool(x, 3, 2, 0, true)
	x = g.fire(x, 32, 128)
	x = g.fire(x, 32, 128)
	x = g.maxPool(x, 3, 2, 0, true)
	for _, s := range []struct{ squeeze, expand int64 }{{48, 192}, {48, 192}, {64, 256}, {64, 256}} {
		x = g.fire(x, s.squeeze, s.expand)
	}
	x = g.relu(g.conv(x, square(classes, 1, 1, 0).withBias()))
	g.probs(g.flatten(g.globalAvgPool(x), 1))
	return g
}

// fire is SqueezeNet's module: a 1×1 squeeze, then 1×1 and 3×3 expands
// concatenated, all with bias and ReLU.
func (g *graph) fire(x value, squeeze, expand int64) value {
	s := g.relu(g.conv(x, square(squeeze, 1, 1, 0).withBias()))
	e1 := g.relu(g.conv(s, square(expand, 1, 1, 0).withBias()))
	e3 := g.relu(g.conv(s, square(expand, 3, 1, 1).withBias()))
	return g.concat(e1, e3)
}
