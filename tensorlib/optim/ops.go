package optim

import tl "github.com/gotensor/gt/tensorlib"

// The elementwise steps of PyTorch's optimizers, written with tensorlib ops
// in PyTorch's operation order. A Python scalar meets a float32 tensor as a
// float32 value, as MulScalar and AddScalar round it.
//
// PyTorch 1.13's CPU kernels (Debian's AVX2 build) compute a.add(b,
// alpha=α) and addcmul as fused multiply-adds: a + α·b and a + (v·b)·c
// with a single rounding. For float32 tensors these helpers reproduce that
// by adding in float64, where the product of two float32 values is exact,
// and rounding once to float32 (a double rounding that differs from the
// fused result only in rare ties). Float64 tensors are computed unfused.

// fusedAdd returns a + s·b rounded once (s·b exact) for float32 a, b.
func fusedAdd(a, b *tl.Tensor, s float64) *tl.Tensor {
	if a.DType() != tl.Float32 || b.DType() != tl.Float32 {
		return a.Add(b.MulScalar(s))
	}
	s = float64(float32(s))
	return a.To(tl.Float64).Add(b.To(tl.Float64).MulScalar(s)).To(tl.Float32)
}

// fusedAddMul returns a + b·c rounded once for float32 tensors.
func fusedAddMul(a, b, c *tl.Tensor) *tl.Tensor {
	if a.DType() != tl.Float32 || b.DType() != tl.Float32 || c.DType() != tl.Float32 {
		return a.Add(b.Mul(c))
	}
	return a.To(tl.Float64).Add(b.To(tl.Float64).Mul(c.To(tl.Float64))).To(tl.Float32)
}

// addScaled returns a.add(b, alpha=alpha).
func addScaled(a, b *tl.Tensor, alpha float64) *tl.Tensor {
	if alpha == 1 {
		return a.Add(b)
	}
	return fusedAdd(a, b, alpha)
}

// addScaledInPlace is a.add_(b, alpha=alpha).
func addScaledInPlace(a, b *tl.Tensor, alpha float64) {
	if alpha == 1 {
		a.AddInPlace(b)
		return
	}
	a.CopyInPlace(fusedAdd(a, b, alpha))
}

// addcmul returns a.addcmul(b, c, value=value): a + (value·b)·c, the last
// multiply-add fused.
func addcmul(a, b, c *tl.Tensor, value float64) *tl.Tensor {
	return fusedAddMul(a, b.MulScalar(value), c)
}

// addcmulInPlace is a.addcmul_(b, c, value=value).
func addcmulInPlace(a, b, c *tl.Tensor, value float64) {
	a.CopyInPlace(addcmul(a, b, c, value))
}

// addcdivInPlace is a.addcdiv_(b, c, value=value): a + (value·b)/c.
func addcdivInPlace(a, b, c *tl.Tensor, value float64) {
	a.AddInPlace(b.MulScalar(value).Div(c))
}

// maximumInPlace is torch.maximum(a, b, out=a), NaN propagating.
func maximumInPlace(a, b *tl.Tensor) {
	a.CopyInPlace(tl.Where(b.Gt(a).LogicalOr(b.IsNaN()), b, a))
}

// gradOf returns p's gradient, negated when maximizing.
func gradOf(p *tl.Tensor, maximize bool) *tl.Tensor {
	g := p.Grad()
	if maximize {
		g = g.Neg()
	}
	return g
}

// stepCount adds one to a state's "step" tensor and returns the new count.
func stepCount(st map[string]*tl.Tensor) float64 {
	s := st["step"]
	s.AddScalarInPlace(1)
	return s.Item()
}
