package nn

import (
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Initialisers in the shape of torch.nn.init. They fill t in place without
// recording gradients and draw from the default generator as PyTorch does.

// Uniform fills t from U(a, b).
func Uniform(t *tl.Tensor, a, b float64) *tl.Tensor {
	tl.NoGrad(func() { t.UniformInPlace(a, b) })
	return t
}

// Normal fills t from N(mean, std²).
func Normal(t *tl.Tensor, mean, std float64) *tl.Tensor {
	tl.NoGrad(func() { t.NormalInPlace(mean, std) })
	return t
}

// Constant fills t with v.
func Constant(t *tl.Tensor, v float64) *tl.Tensor {
	tl.NoGrad(func() { t.FillInPlace(v) })
	return t
}

// fans returns (fan_in, fan_out) as torch.nn.init._calculate_fan_in_and_fan_out.
func fans(t *tl.Tensor) (int, int) {
	s := t.Shape()
	if len(s) < 2 {
		panic(&tl.Error{Op: "init", Msg: "fan in and fan out can not be computed for tensor with fewer than 2 dimensions", Shapes: [][]int{s}})
	}
	recept := 1
	for _, d := range s[2:] {
		recept *= d
	}
	return s[1] * recept, s[0] * recept
}

// leakyReluGain is calculate_gain('leaky_relu', a).
func leakyReluGain(a float64) float64 { return math.Sqrt(2 / (1 + a*a)) }

// KaimingUniform fills t as torch.nn.init.kaiming_uniform_(t, a) with
// mode fan_in and leaky_relu gain.
func KaimingUniform(t *tl.Tensor, a float64) *tl.Tensor {
	fanIn, _ := fans(t)
	std := leakyReluGain(a) / math.Sqrt(float64(fanIn))
	bound := math.Sqrt(3) * std
	return Uniform(t, -bound, bound)
}
