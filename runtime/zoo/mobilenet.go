package zoo

// mobileNetV1 builds MobileNetV1 (Howard et al. 2017) at width multiplier
// alpha, as Keras Applications defines it: a strided 3×3 stem and 13
// depthwise-separable blocks, each conv without bias followed by
// BatchNormalization and ReLU6, then global pooling and the classifier.
func mobileNetV1(name string, alpha float64) *graph {
	g := newGraph(name)
	width := func(c int64) int64 { return int64(float64(c) * alpha) }
	x := g.imageInput(defaultSize)
	x = g.relu6(g.bn(g.conv(x, square(width(32), 3, 2, 1))))
	blocks := []struct{ out, stride int64 }{
		{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
	}
	for _, b := range blocks {
		x = g.separable(x, width(b.out), b.stride)
	}
	g.head(x)
	return g
}

// separable is a depthwise 3×3 conv then a pointwise 1×1 conv, each followed
// by BatchNormalization and ReLU6.
func (g *graph) separable(x value, out, stride int64) value {
	dw := square(x.ch, 3, stride, 1)
	dw.group = x.ch
	x = g.relu6(g.bn(g.conv(x, dw)))
	return g.relu6(g.bn(g.conv(x, square(out, 1, 1, 0))))
}
