package zoo

// vgg16 builds VGG-16 (Simonyan & Zisserman 2014, configuration D): thirteen
// 3×3 convolutions with bias and ReLU in five pooled stages, then three
// fully connected layers (4096, 4096, 1000). 138,357,544 parameters, most of
// them in the first fully connected layer (25088 × 4096).
func vgg16() *graph {
	g := newGraph("vgg16")
	x := g.imageInput(defaultSize)
	for _, stage := range [][]int64{{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}} {
		for _, c := range stage {
			x = g.relu(g.conv(x, square(c, 3, 1, 1).withBias()))
		}
		x = g.maxPool(x, 2, 2, 0, false)
	}
	x = g.flatten(x, 7*7) // 224 / 2⁵ = 7
	x = g.relu(g.dense(x, 4096, false))
	x = g.relu(g.dense(x, 4096, false))
	g.probs(g.dense(x, classes, true))
	return g
}
