package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Activation layers. They hold no parameters; each is usable as a value or
// a pointer (nn.ReLU{} or &nn.ReLU{}) wherever a Layer is expected, and the
// zero value is PyTorch's default construction.

// ReLU applies max(x, 0) elementwise (torch.nn.ReLU).
type ReLU struct{}

// Forward applies the layer.
func (ReLU) Forward(x *tl.Tensor) *tl.Tensor { return x.ReLU() }

// String returns PyTorch's repr of the layer.
func (ReLU) String() string { return "ReLU()" }

// LeakyReLU applies x where x > 0 and NegativeSlope·x elsewhere
// (torch.nn.LeakyReLU).
type LeakyReLU struct {
	// NegativeSlope is the slope for negative inputs; 0 means PyTorch's
	// default 0.01 (for slope 0, use ReLU).
	NegativeSlope float64
}

func (l LeakyReLU) slope() float64 {
	if l.NegativeSlope == 0 {
		return 0.01
	}
	return l.NegativeSlope
}

// Forward applies the layer; its graph node is LeakyReluBackward0.
func (l LeakyReLU) Forward(x *tl.Tensor) *tl.Tensor {
	s := l.slope()
	return tl.Function{
		Name: "LeakyReluBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			return tl.Where(in[0].GtScalar(0), in[0], in[0].MulScalar(s))
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			return []*tl.Tensor{tl.Where(in[0].GtScalar(0), g, g.MulScalar(s))}
		},
	}.Apply(x)
}

// String returns PyTorch's repr of the layer.
func (l LeakyReLU) String() string { return fmt.Sprintf("LeakyReLU(negative_slope=%v)", l.slope()) }

// GELU applies the Gaussian error linear unit x·Φ(x) (torch.nn.GELU).
type GELU struct {
	// Approximate is "none" (or "", the default) for the exact erf form or
	// "tanh" for the tanh approximation.
	Approximate string
}

// Forward applies the layer; its graph node is GeluBackward0.
func (l GELU) Forward(x *tl.Tensor) *tl.Tensor {
	switch l.Approximate {
	case "", "none":
		return x.GELU()
	case "tanh":
		return tl.Function{
			Name: "GeluBackward0",
			Forward: func(in []*tl.Tensor) *tl.Tensor {
				return mapFloats(in[0], geluTanh)
			},
			Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
				return []*tl.Tensor{g.Mul(mapFloats(in[0], geluTanhGrad))}
			},
		}.Apply(x)
	}
	panic(&tl.Error{Op: "GELU", Msg: fmt.Sprintf("approximate argument must be either none or tanh, got %q", l.Approximate)})
}

// String returns PyTorch's repr of the layer.
func (l GELU) String() string {
	a := l.Approximate
	if a == "" {
		a = "none"
	}
	return fmt.Sprintf("GELU(approximate='%s')", a)
}

const (
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluCoeff   = 0.044715
)

// geluTanh is 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func geluTanh(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(sqrt2OverPi*(x+geluCoeff*x*x*x)))
}

// geluTanhGrad is the derivative of geluTanh.
func geluTanhGrad(x float64) float64 {
	inner := sqrt2OverPi * (x + geluCoeff*x*x*x)
	t := math.Tanh(inner)
	dInner := sqrt2OverPi * (1 + 3*geluCoeff*x*x)
	return 0.5*(1+t) + 0.5*x*(1-t*t)*dInner
}

// SiLU applies x·sigmoid(x) (torch.nn.SiLU, also called swish).
type SiLU struct{}

// Forward applies the layer; its graph node is SiluBackward0.
func (SiLU) Forward(x *tl.Tensor) *tl.Tensor {
	return tl.Function{
		Name: "SiluBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			return mapFloats(in[0], func(v float64) float64 { return v / (1 + math.Exp(-v)) })
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			d := mapFloats(in[0], func(v float64) float64 {
				s := 1 / (1 + math.Exp(-v))
				return s * (1 + v*(1-s))
			})
			return []*tl.Tensor{g.Mul(d)}
		},
	}.Apply(x)
}

// String returns PyTorch's repr of the layer.
func (SiLU) String() string { return "SiLU()" }

// Tanh applies the hyperbolic tangent elementwise (torch.nn.Tanh).
type Tanh struct{}

// Forward applies the layer.
func (Tanh) Forward(x *tl.Tensor) *tl.Tensor { return x.Tanh() }

// String returns PyTorch's repr of the layer.
func (Tanh) String() string { return "Tanh()" }

// Sigmoid applies 1/(1+e^-x) elementwise (torch.nn.Sigmoid).
type Sigmoid struct{}

// Forward applies the layer.
func (Sigmoid) Forward(x *tl.Tensor) *tl.Tensor { return x.Sigmoid() }

// String returns PyTorch's repr of the layer.
func (Sigmoid) String() string { return "Sigmoid()" }

// Softmax normalises exp(x) to sum to 1 along Dim (torch.nn.Softmax). Dim
// must be set: PyTorch's implicit choice of dimension is deprecated, and
// the zero value means dimension 0.
type Softmax struct {
	Dim int
}

// Forward applies the layer.
func (s Softmax) Forward(x *tl.Tensor) *tl.Tensor { return x.Softmax(s.Dim) }

// String returns PyTorch's repr of the layer.
func (s Softmax) String() string { return fmt.Sprintf("Softmax(dim=%d)", s.Dim) }

// LogSoftmax computes log(Softmax(x)) along Dim stably
// (torch.nn.LogSoftmax). As for Softmax, Dim must be set.
type LogSoftmax struct {
	Dim int
}

// Forward applies the layer.
func (s LogSoftmax) Forward(x *tl.Tensor) *tl.Tensor { return x.LogSoftmax(s.Dim) }

// String returns PyTorch's repr of the layer.
func (s LogSoftmax) String() string { return fmt.Sprintf("LogSoftmax(dim=%d)", s.Dim) }
