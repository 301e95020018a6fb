package zoo

import "math"

// nasNetSpec is one NASNet-A configuration (Zoph et al. 2018, "NASNet
// (N @ P)": N normal cells per stage, P penultimate filters).
type nasNetSpec struct {
	name          string
	size          int64 // input resolution
	stem          int64 // stem conv filters
	penultimate   int64
	cells         int  // normal cells per stage
	skipReduction bool // after a reduction, keep feeding the pre-reduction input
}

// nasNetMobile is NASNet-A Mobile (4 @ 1056, 224×224) as Keras Applications
// defines it: 5,326,716 parameters.
func nasNetMobile() *graph {
	return nasNet(nasNetSpec{name: "nasnet_mobile", size: 224, stem: 32, penultimate: 1056, cells: 4})
}

// nasNetLarge is NASNet-A Large (6 @ 4032, 331×331) as Keras Applications
// defines it: 88,949,818 parameters (the poster's 42.3 M is a typo; its
// 356.6 MB size matches 89 M float32 weights).
func nasNetLarge() *graph {
	return nasNet(nasNetSpec{name: "nasnet_large", size: 331, stem: 96, penultimate: 4032, cells: 6, skipReduction: true})
}

// fmap is a feature map with its spatial size: a NASNet cell reads the two
// previous cells' outputs and must align them when their sizes differ.
type fmap struct {
	value
	hw int64
}

func (f fmap) empty() bool { return f.name == "" }

// nasNet builds NASNet-A: a strided stem conv, two reduction cells, then
// three stages of normal cells with a reduction cell between stages; the
// channel count doubles at each reduction.
func nasNet(s nasNetSpec) *graph {
	const mult = 2
	g := newGraph(s.name)
	filters := s.penultimate / 24
	x := fmap{g.bn(g.conv(g.imageInput(s.size), square(s.stem, 3, 2, 0))), (s.size-3)/2 + 1}
	var p fmap
	x, p = g.reductionCell(x, p, filters/(mult*mult))
	x, p = g.reductionCell(x, p, filters/mult)
	for stage := range 3 {
		f := filters * int64(math.Pow(mult, float64(stage)))
		if stage > 0 {
			var prev fmap
			x, prev = g.reductionCell(x, p, f)
			if !s.skipReduction {
				p = prev
			}
		}
		for range s.cells {
			x, p = g.normalCell(x, p, f)
		}
	}
	g.head(g.relu(x.value))
	return g
}

// normalCell is NASNet-A's normal cell; it returns its output and its input
// x, which becomes the next cell's previous input.
func (g *graph) normalCell(x, p fmap, filters int64) (fmap, fmap) {
	p = g.adjust(p, x, filters)
	h := fmap{g.bn(g.conv(g.relu(x.value), square(filters, 1, 1, 0))), x.hw}
	sameAvg := func(v fmap) value { return g.avgPool(v.value, 3, 1, 1) }
	out := g.concat(
		p.value,
		g.add(g.sepBlock(h, filters, 5, 1).value, g.sepBlock(p, filters, 3, 1).value),
		g.add(g.sepBlock(p, filters, 5, 1).value, g.sepBlock(p, filters, 3, 1).value),
		g.add(sameAvg(h), p.value),
		g.add(sameAvg(p), sameAvg(p)),
		g.add(g.sepBlock(h, filters, 3, 1).value, h.value),
	)
	return fmap{out, x.hw}, x
}

// reductionCell is NASNet-A's reduction cell, halving the spatial size.
// Keras pools a zero-padded copy; here MaxPool pads with -inf and
// AveragePool counts the padded zeros, the same work on the same shapes.
func (g *graph) reductionCell(x, p fmap, filters int64) (fmap, fmap) {
	p = g.adjust(p, x, filters)
	h := fmap{g.bn(g.conv(g.relu(x.value), square(filters, 1, 1, 0))), x.hw}
	strided := poolSpec{k: 3, stride: 2, pads: correctPad(h.hw, 3)}
	maxH := func() value { return g.pool("MaxPool", h.value, strided) }
	avgH := g.pool("AveragePool", h.value, strided, intAttr("count_include_pad", 1))
	x1 := g.add(g.sepBlock(h, filters, 5, 2).value, g.sepBlock(p, filters, 7, 2).value)
	x2 := g.add(maxH(), g.sepBlock(p, filters, 7, 2).value)
	x3 := g.add(avgH, g.sepBlock(p, filters, 5, 2).value)
	half := halve(h.hw, 3)
	x4 := g.add(g.avgPool(x1, 3, 1, 1), x2)
	x5 := g.add(g.sepBlock(fmap{x1, half}, filters, 3, 1).value, maxH())
	return fmap{g.concat(x2, x3, x4, x5), half}, x
}

// adjust makes the previous cell's output p match x's spatial size (a
// factorised reduction: two offset 1×1 strided paths) or filters (a 1×1
// projection). A missing p is x itself.
func (g *graph) adjust(p, x fmap, filters int64) fmap {
	switch {
	case p.empty():
		return x
	case p.hw != x.hw:
		r := g.relu(p.value)
		p1 := g.conv(g.avgPool(r, 1, 2, 0), square(filters/2, 1, 1, 0))
		p2 := g.conv(g.avgPool(g.shiftUpLeft(r), 1, 2, 0), square(filters/2, 1, 1, 0))
		return fmap{g.bn(g.concat(p1, p2)), x.hw}
	case p.ch != filters:
		return fmap{g.bn(g.conv(g.relu(p.value), square(filters, 1, 1, 0))), p.hw}
	}
	return p
}

// shiftUpLeft moves a feature map one pixel up and left, filling the
// bottom row and right column with zeros (pad bottom-right, crop top-left).
func (g *graph) shiftUpLeft(x value) value {
	padded := g.node("Pad", []string{x.name, g.auxInts(0, 0, 0, 0, 0, 0, 1, 1)})
	y := g.node("Slice", []string{padded, g.auxInts(1, 1), g.auxInts(math.MaxInt64, math.MaxInt64), g.auxInts(2, 3)})
	return x.as(y)
}

// sepBlock is ReLU -> separable conv (stride) -> BN -> ReLU -> separable
// conv -> BN. A strided block pads like Keras's correct_pad.
func (g *graph) sepBlock(x fmap, filters, k, stride int64) fmap {
	dw := same(x.ch, k, k)
	hw := x.hw
	if stride == 2 {
		dw = convSpec{out: x.ch, kh: k, kw: k, stride: 2, pads: correctPad(x.hw, k)}
		hw = halve(x.hw, k)
	}
	y := g.bn(g.separable2(g.relu(x.value), dw, filters))
	y = g.bn(g.separable2(g.relu(y), same(filters, k, k), filters))
	return fmap{y, hw}
}

// separable2 is Keras's SeparableConv2D without bias: a depthwise conv
// shaped by dw, then a pointwise 1×1 conv to out channels.
func (g *graph) separable2(x value, dw convSpec, out int64) value {
	dw.out, dw.group = x.ch, x.ch
	return g.conv(g.conv(x, dw), square(out, 1, 1, 0))
}

// correctPad is the [top, left, bottom, right] padding Keras uses before a
// stride-2 k×k window on an hw×hw map: one less at the start for even hw.
func correctPad(hw, k int64) []int64 {
	begin := k/2 - (1 - hw%2)
	return []int64{begin, begin, k / 2, k / 2}
}

// halve is the output size of a stride-2 k×k window with correctPad.
func halve(hw, k int64) int64 {
	p := correctPad(hw, k)
	return (hw+p[0]+p[2]-k)/2 + 1
}
