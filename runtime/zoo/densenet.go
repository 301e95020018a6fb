package zoo

// denseNet121 builds DenseNet-121 (Huang et al. 2017; growth rate 32,
// bottleneck width 4·32, compression 0.5): a 7×7 stem, dense blocks of 6,
// 12, 24 and 16 layers joined by transitions, pre-activation
// BatchNormalization -> ReLU -> conv units without bias.
func denseNet121() *graph {
	const growth = 32
	g := newGraph("densenet121")
	x := g.imageInput(defaultSize)
	x = g.convBNReLU(x, square(64, 7, 2, 3))
	x = g.maxPool(x, 3, 2, 1, false)
	blocks := []int{6, 12, 24, 16}
	for i, layers := range blocks {
		for range layers {
			x = g.concat(x, g.denseLayer(x, growth))
		}
		if i < len(blocks)-1 {
			x = g.transition(x)
		}
	}
	g.head(g.relu(g.bn(x)))
	return g
}

// denseLayer produces growth new feature maps from everything before it:
// BN -> ReLU -> 1×1 conv (4·growth) -> BN -> ReLU -> 3×3 conv (growth).
func (g *graph) denseLayer(x value, growth int64) value {
	y := g.conv(g.relu(g.bn(x)), square(4*growth, 1, 1, 0))
	return g.conv(g.relu(g.bn(y)), square(growth, 3, 1, 1))
}

// transition halves channels and spatial size: BN -> ReLU -> 1×1 conv ->
// 2×2 average pooling.
func (g *graph) transition(x value) value {
	x = g.conv(g.relu(g.bn(x)), square(x.ch/2, 1, 1, 0))
	return g.avgPool(x, 2, 2, 0)
}
