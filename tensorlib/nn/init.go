package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
	"gonum.org/v1/gonum/mat"
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

// CalculateGain returns PyTorch's recommended gain for a nonlinearity
// (torch.nn.init.calculate_gain): 1 for "linear", "conv1d", "conv2d",
// "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"
// and "sigmoid"; 5/3 for "tanh"; √2 for "relu"; √(2/(1+slope²)) for
// "leaky_relu" (param is the negative slope, 0.01 when omitted); 3/4 for
// "selu". Other names panic.
func CalculateGain(nonlinearity string, param ...float64) float64 {
	switch nonlinearity {
	case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid":
		return 1
	case "tanh":
		return 5.0 / 3
	case "relu":
		return math.Sqrt(2)
	case "leaky_relu":
		slope := 0.01
		if len(param) > 0 {
			slope = param[0]
		}
		return leakyReluGain(slope)
	case "selu":
		return 3.0 / 4
	}
	panic(&tl.Error{Op: "CalculateGain", Msg: fmt.Sprintf("Unsupported nonlinearity %s", nonlinearity)})
}

// FanMode selects which fan the Kaiming initialisers preserve.
type FanMode int

const (
	FanIn  FanMode = iota // preserve the variance in the forward pass (mode='fan_in', the default)
	FanOut                // preserve it in the backward pass (mode='fan_out')
)

// KaimingOptions are the optional settings of KaimingUniform and
// KaimingNormal; the zero value is PyTorch's default.
type KaimingOptions struct {
	Mode FanMode
	// Nonlinearity names the following activation for CalculateGain (with
	// the initialiser's a as its parameter); "" means "leaky_relu".
	Nonlinearity string
}

// kaimingStd returns gain/√fan for the Kaiming initialisers, and false for
// an empty tensor (which PyTorch leaves alone with a warning).
func kaimingStd(t *tl.Tensor, a float64, opts []KaimingOptions) (float64, bool) {
	o := firstOr(opts)
	if t.Numel() == 0 {
		return 0, false
	}
	fanIn, fanOut := fans(t)
	fan := fanIn
	if o.Mode == FanOut {
		fan = fanOut
	}
	nl := o.Nonlinearity
	if nl == "" {
		nl = "leaky_relu"
	}
	return CalculateGain(nl, a) / math.Sqrt(float64(fan)), true
}

// KaimingUniform fills t as torch.nn.init.kaiming_uniform_(t, a) from
// U(-bound, bound) with bound = gain·√(3/fan); by default with mode fan_in
// and leaky_relu gain.
func KaimingUniform(t *tl.Tensor, a float64, opts ...KaimingOptions) *tl.Tensor {
	std, ok := kaimingStd(t, a, opts)
	if !ok {
		return t
	}
	bound := math.Sqrt(3) * std
	return Uniform(t, -bound, bound)
}

// KaimingNormal fills t as torch.nn.init.kaiming_normal_(t, a) from
// N(0, std²) with std = gain/√fan.
func KaimingNormal(t *tl.Tensor, a float64, opts ...KaimingOptions) *tl.Tensor {
	std, ok := kaimingStd(t, a, opts)
	if !ok {
		return t
	}
	return Normal(t, 0, std)
}

// xavierStd returns gain·√(2/(fan_in+fan_out)).
func xavierStd(t *tl.Tensor, gain []float64) float64 {
	g := 1.0
	if len(gain) > 0 {
		g = gain[0]
	}
	fanIn, fanOut := fans(t)
	return g * math.Sqrt(2/float64(fanIn+fanOut))
}

// XavierUniform fills t as torch.nn.init.xavier_uniform_(t, gain) from
// U(-a, a) with a = gain·√(6/(fan_in+fan_out)); gain defaults to 1.
func XavierUniform(t *tl.Tensor, gain ...float64) *tl.Tensor {
	a := math.Sqrt(3) * xavierStd(t, gain)
	return Uniform(t, -a, a)
}

// XavierNormal fills t as torch.nn.init.xavier_normal_(t, gain) from
// N(0, std²) with std = gain·√(2/(fan_in+fan_out)); gain defaults to 1.
func XavierNormal(t *tl.Tensor, gain ...float64) *tl.Tensor {
	return Normal(t, 0, xavierStd(t, gain))
}

// Zeros fills t with zeros (torch.nn.init.zeros_).
func Zeros(t *tl.Tensor) *tl.Tensor { return Constant(t, 0) }

// Ones fills t with ones (torch.nn.init.ones_).
func Ones(t *tl.Tensor) *tl.Tensor { return Constant(t, 1) }

// Eye fills the 2-D tensor t with the identity matrix (torch.nn.init.eye_).
func Eye(t *tl.Tensor) *tl.Tensor {
	s := t.Shape()
	if len(s) != 2 {
		panic(&tl.Error{Op: "Eye", Msg: "Only tensors with 2 dimensions are supported", Shapes: [][]int{s}})
	}
	tl.NoGrad(func() { t.CopyInPlace(tl.Eye(s[0], s[1])) })
	return t
}

// Orthogonal fills t, of at least 2 dimensions, with a (semi-)orthogonal
// matrix as torch.nn.init.orthogonal_(t, gain) does: the QR decomposition
// of a standard normal matrix drawn from the default generator, with the
// signs fixed by R's diagonal, times gain (default 1). The QR is computed
// in float64 (PyTorch uses LAPACK in t's dtype), so float32 values agree
// with PyTorch's to about 1e-6.
func Orthogonal(t *tl.Tensor, gain ...float64) *tl.Tensor {
	g := 1.0
	if len(gain) > 0 {
		g = gain[0]
	}
	s := t.Shape()
	if len(s) < 2 {
		panic(&tl.Error{Op: "Orthogonal", Msg: "Only tensors with 2 or more dimensions are supported", Shapes: [][]int{s}})
	}
	if t.Numel() == 0 {
		return t
	}
	rows := s[0]
	cols := t.Numel() / rows
	flat := tl.New(t.DType(), rows, cols)
	Normal(flat, 0, 1)
	if rows < cols {
		flat = flat.T()
	}
	a := flat.ToDense()
	m, n := a.Dims()
	var qr mat.QR
	qr.Factorize(a)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	out := make([]float64, m*n)
	for j := 0; j < n; j++ {
		ph := 0.0
		switch d := r.At(j, j); {
		case d > 0:
			ph = 1
		case d < 0:
			ph = -1
		}
		for i := 0; i < m; i++ {
			out[i*n+j] = q.At(i, j) * ph
		}
	}
	res := tl.FromFloat64s(out, m, n)
	if rows < cols {
		res = res.T()
	}
	tl.NoGrad(func() {
		t.CopyInPlace(res.Reshape(s...))
		t.MulScalarInPlace(g)
	})
	return t
}

// TruncNormal fills t as torch.nn.init.trunc_normal_(t, mean, std, a, b):
// values from N(mean, std²) restricted to [a, b], by inverting the normal
// CDF of uniform draws from the default generator.
func TruncNormal(t *tl.Tensor, mean, std, a, b float64) *tl.Tensor {
	cdf := func(x float64) float64 { return (1 + math.Erf(x/math.Sqrt2)) / 2 }
	l, u := cdf((a-mean)/std), cdf((b-mean)/std)
	Uniform(t, 2*l-1, 2*u-1)
	tl.NoGrad(func() {
		v := mapFloats(t, math.Erfinv)
		t.CopyInPlace(v)
		t.MulScalarInPlace(std * math.Sqrt2)
		t.AddScalarInPlace(mean)
		t.ClampInPlace(a, b)
	})
	return t
}
