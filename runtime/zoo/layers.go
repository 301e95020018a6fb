package zoo

import "github.com/edgeserve/edgeserve/runtime/onnxpb"

// convSpec is one convolution: output channels, kernel, stride, symmetric
// padding per axis, groups (0 or 1: dense; equal to the input channels:
// depthwise) and whether it has a bias.
type convSpec struct {
	out        int64
	kh, kw     int64
	stride     int64
	padH, padW int64
	group      int64
	bias       bool
	// pads, when set, overrides padH/padW with ONNX's
	// [top, left, bottom, right] (Keras's asymmetric "correct" padding).
	pads []int64
}

// square is a k×k convolution with the given stride and padding.
func square(out, k, stride, pad int64) convSpec {
	return convSpec{out: out, kh: k, kw: k, stride: stride, padH: pad, padW: pad}
}

// same is a stride-1 kh×kw convolution padded to keep the spatial size.
func same(out, kh, kw int64) convSpec {
	return convSpec{out: out, kh: kh, kw: kw, stride: 1, padH: kh / 2, padW: kw / 2}
}

func (c convSpec) withBias() convSpec { c.bias = true; return c }

func (c convSpec) groups() int64 { return max(c.group, 1) }

func (c convSpec) padding() []int64 {
	if c.pads != nil {
		return c.pads
	}
	return []int64{c.padH, c.padW, c.padH, c.padW}
}

// conv adds a Conv node with He-initialised weights [out, in/group, kh, kw].
func (g *graph) conv(x value, c convSpec) value {
	inPerGroup := x.ch / c.groups()
	fanIn := inPerGroup * c.kh * c.kw
	inputs := []string{x.name, g.weight("conv_w", fanIn, c.out, inPerGroup, c.kh, c.kw)}
	if c.bias {
		inputs = append(inputs, g.smallWeight("conv_b", fanIn, c.out))
	}
	y := g.node("Conv", inputs,
		intsAttr("kernel_shape", c.kh, c.kw),
		intsAttr("strides", c.stride, c.stride),
		intsAttr("pads", c.padding()...),
		intAttr("group", c.groups()),
	)
	// He scaling: each output sums fanIn products of zero-mean weights of
	// variance 2/fanIn.
	return value{name: y, ch: c.out, ms: 2 * x.ms}
}

// bn adds an inference-mode BatchNormalization with gamma 1, beta 0, and as
// running statistics the estimated mean and variance of its input, so that
// like a trained network's it brings activations back to zero mean and unit
// variance.
func (g *graph) bn(x value) value {
	y := g.node("BatchNormalization", []string{
		x.name,
		g.constant("bn_gamma", 1, x.ch),
		g.constant("bn_beta", 0, x.ch),
		g.constant("bn_mean", float32(x.mu), x.ch),
		g.constant("bn_var", float32(max(x.ms-x.mu*x.mu, 1e-6)), x.ch),
	}, floatAttr("epsilon", 1e-3))
	return value{name: y, ch: x.ch, ms: 1}
}

func (g *graph) relu(x value) value {
	y := x.as(g.node("Relu", []string{x.name}))
	y.mu, y.ms = reluMoments(x.mu, x.ms)
	return y
}

// relu6 is Clip(x, 0, 6), MobileNet's activation.
func (g *graph) relu6(x value) value {
	y := x.as(g.node("Clip", []string{x.name, g.auxConstant(0), g.auxConstant(6)}))
	y.mu, y.ms = reluMoments(x.mu, x.ms) // the cap at 6 is rarely reached
	return y
}

// convBNReLU is the usual conv (no bias) -> BatchNormalization -> ReLU unit.
func (g *graph) convBNReLU(x value, c convSpec) value {
	return g.relu(g.bn(g.conv(x, c)))
}

// poolSpec is a k×k pooling window with stride and ONNX pads
// [top, left, bottom, right].
type poolSpec struct {
	k, stride int64
	pads      []int64
}

func pool(k, stride, pad int64) poolSpec {
	return poolSpec{k: k, stride: stride, pads: []int64{pad, pad, pad, pad}}
}

// maxPool adds a MaxPool; ceil selects ceil_mode (Caffe-style sizes).
func (g *graph) maxPool(x value, k, stride, pad int64, ceil bool) value {
	c := int64(0)
	if ceil {
		c = 1
	}
	return g.pool("MaxPool", x, pool(k, stride, pad), intAttr("ceil_mode", c))
}

// avgPool adds an AveragePool that ignores padded cells.
func (g *graph) avgPool(x value, k, stride, pad int64) value {
	return g.pool("AveragePool", x, pool(k, stride, pad), intAttr("count_include_pad", 0))
}

func (g *graph) pool(op string, x value, p poolSpec, attrs ...*onnxpb.AttributeProto) value {
	attrs = append([]*onnxpb.AttributeProto{
		intsAttr("kernel_shape", p.k, p.k),
		intsAttr("strides", p.stride, p.stride),
		intsAttr("pads", p.pads...),
	}, attrs...)
	return x.as(g.node(op, []string{x.name}, attrs...))
}

func (g *graph) globalAvgPool(x value) value {
	return x.as(g.node("GlobalAveragePool", []string{x.name}))
}

// concat joins feature maps along the channel axis.
func (g *graph) concat(xs ...value) value {
	names := make([]string, len(xs))
	var ch int64
	var mu, ms float64 // sums weighted by channels
	for i, x := range xs {
		names[i] = x.name
		ch += x.ch
		mu += x.mu * float64(x.ch)
		ms += x.ms * float64(x.ch)
	}
	n := float64(max(ch, 1))
	return value{name: g.node("Concat", names, intAttr("axis", 1)), ch: ch, mu: mu / n, ms: ms / n}
}

func (g *graph) add(a, b value) value {
	// Independent summands: means add, and so do variances.
	return value{name: g.node("Add", []string{a.name, b.name}), ch: a.ch, mu: a.mu + b.mu, ms: a.ms + b.ms + 2*a.mu*b.mu}
}

// flatten turns [N, C, H, W] into [N, C*H*W]; spatial is H*W.
func (g *graph) flatten(x value, spatial int64) value {
	y := x.as(g.node("Flatten", []string{x.name}, intAttr("axis", 1)))
	y.ch *= spatial
	return y
}

// dense adds a fully connected layer (Gemm with transposed weight [out, in]
// and a bias). He scaling suits a hidden layer followed by ReLU; a
// classifier uses LeCun scaling so the logits stay moderate.
func (g *graph) dense(x value, out int64, classifier bool) value {
	weight, gain := g.weight, 2.0
	if classifier {
		weight, gain = g.smallWeight, 1
	}
	w := weight("fc_w", x.ch, out, x.ch)
	b := g.smallWeight("fc_b", x.ch, out)
	y := g.node("Gemm", []string{x.name, w, b}, intAttr("transB", 1))
	return value{name: y, ch: out, ms: gain * x.ms}
}

func (g *graph) softmax(x value) value {
	return x.as(g.node("Softmax", []string{x.name}, intAttr("axis", 1)))
}
