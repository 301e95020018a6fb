package zoo

// resNet50 builds ResNet-50 (He et al. 2015) as torchvision defines it
// (v1.5: the stride sits on the 3×3 convolution of a bottleneck): a 7×7
// stem, four stages of 3, 4, 6 and 3 bottleneck blocks, convolutions
// without bias each followed by BatchNormalization. 25,610,152 parameters
// (torchvision's 25,557,032 plus the BatchNormalization statistics); Keras's
// variant, the published 25,636,712, also gives its convolutions biases.
func resNet50() *graph {
	g := newGraph("resnet50")
	x := g.imageInput(defaultSize)
	x = g.convBNReLU(x, square(64, 7, 2, 3))
	x = g.maxPool(x, 3, 2, 1, false)
	stages := []struct{ blocks, width, stride int64 }{{3, 64, 1}, {4, 128, 2}, {6, 256, 2}, {3, 512, 2}}
	for _, s := range stages {
		for i := range s.blocks {
			stride := int64(1)
			if i == 0 {
				stride = s.stride
			}
			x = g.bottleneck(x, s.width, stride)
		}
	}
	g.head(x)
	return g
}

// bottleneck is 1×1 (width) -> 3×3 (width, stride) -> 1×1 (4·width) added to
// the shortcut, which is projected by a strided 1×1 conv when the shape
// changes.
func (g *graph) bottleneck(x value, width, stride int64) value {
	out := 4 * width
	y := g.convBNReLU(x, square(width, 1, 1, 0))
	y = g.convBNReLU(y, square(width, 3, stride, 1))
	y = g.bn(g.conv(y, square(out, 1, 1, 0)))
	shortcut := x
	if stride != 1 || x.ch != out {
		shortcut = g.bn(g.conv(x, square(out, 1, stride, 0)))
	}
	return g.relu(g.add(y, shortcut))
}
