package nn

import (
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Linear applies y = x·Wᵀ + b (torch.nn.Linear).
type Linear struct {
	Weight *tl.Tensor // (out, in)
	Bias   *tl.Tensor // (out), nil without bias
}

// LinearOptions are Linear's optional settings; the zero value is PyTorch's
// default.
type LinearOptions struct {
	NoBias bool // bias=False
}

// NewLinear returns a Linear layer initialised as PyTorch does (weight then
// bias, each uniform on ±1/√in), consuming the default generator in the same
// order so a seed gives PyTorch's initial values.
func NewLinear(in, out int, opts ...LinearOptions) *Linear {
	var o LinearOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	l := &Linear{Weight: tl.New(tl.Float32, out, in)}
	KaimingUniform(l.Weight, math.Sqrt(5))
	l.Weight.SetRequiresGrad(true)
	if !o.NoBias {
		l.Bias = tl.New(tl.Float32, out)
		bound := 0.0
		if in > 0 {
			bound = 1 / math.Sqrt(float64(in))
		}
		Uniform(l.Bias, -bound, bound)
		l.Bias.SetRequiresGrad(true)
	}
	return l
}

// Forward applies the layer to x of shape (…, in).
func (l *Linear) Forward(x *tl.Tensor) *tl.Tensor {
	y := x.MatMul(l.Weight.T())
	if l.Bias != nil {
		y = y.Add(l.Bias)
	}
	return y
}
