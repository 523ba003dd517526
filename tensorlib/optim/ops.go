package optim

import tl "github.com/gotensor/gt/tensorlib"

// The elementwise steps of PyTorch's optimizers, written with tensorlib ops
// in PyTorch's operation order. A Python scalar meets a float32 tensor as a
// float32 value, as MulScalar and AddScalar round it. The fused in-place
// ops (AddScaledInPlace, AddcmulInPlace, AddcdivInPlace) round as PyTorch
// 1.13's CPU kernels do, so the optimizers match PyTorch bit for bit. Adam
// and AdamW's elementwise update is tl.AdamUpdate, one pass per parameter.

// addScaled returns a.add(b, alpha=alpha) as a new tensor.
func addScaled(a, b *tl.Tensor, alpha float64) *tl.Tensor {
	return a.Clone().AddScaledInPlace(b, alpha)
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
