package optim

import (
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// ClipGradNorm scales the gradients of params in place so that their norm,
// taken over all of them together as one vector, is at most maxNorm, and
// returns that total norm before clipping (torch.nn.utils.clip_grad_norm_).
// normType is the p of the p-norm (2 for Euclidean; math.Inf(1) for the
// largest absolute value). Parameters without a gradient are skipped; with
// none, the result is 0.
//
// As PyTorch does, the norm of each gradient is taken first and then the
// norm of those norms, in the gradients' dtype and in the order of
// PyTorch's CPU kernels, and every gradient is multiplied by
// min(maxNorm/(total+1e-6), 1) computed in that dtype as PyTorch does
// (the reciprocal of total+1e-6 times maxNorm), even when that is 1.
// A NaN or infinite total propagates into the gradients, as PyTorch's
// default (error_if_nonfinite=False) lets it. It panics with a *tl.Error
// when the gradients mix float32 and float64.
func ClipGradNorm(params []*tl.Tensor, maxNorm, normType float64) (totalNorm float64) {
	var grads []*tl.Tensor
	for _, p := range params {
		if p != nil && p.Grad() != nil {
			grads = append(grads, p.Grad())
		}
	}
	if len(grads) == 0 {
		return 0
	}
	dt := grads[0].DType()
	for _, g := range grads {
		if g.DType() != dt || !dt.IsFloat() {
			panic(&tl.Error{Op: "optim.ClipGradNorm", Msg: "gradients must all be float32 or all float64, got " + dt.String() + " and " + g.DType().String()})
		}
	}
	inf := math.IsInf(normType, 1)
	if dt == tl.Float32 {
		norms := make([]float32, len(grads))
		for i, g := range grads {
			norms[i] = normFloat32(g.Float32s(), normType)
		}
		total := norms[0]
		if len(norms) > 1 {
			if inf {
				total = maxNaN32(norms)
			} else {
				total = normFloat32(norms, normType)
			}
		}
		coef := (1 / (total + float32(1e-6))) * float32(maxNorm)
		if coef > 1 {
			coef = 1
		}
		scaleGrads(grads, float64(coef))
		return float64(total)
	}
	norms := make([]float64, len(grads))
	for i, g := range grads {
		norms[i] = normFloat64(g.Float64s(), normType)
	}
	total := norms[0]
	if len(norms) > 1 {
		if inf {
			total = maxNaN64(norms)
		} else {
			total = normFloat64(norms, normType)
		}
	}
	coef := (1 / (total + 1e-6)) * maxNorm
	if coef > 1 {
		coef = 1
	}
	scaleGrads(grads, coef)
	return total
}

func scaleGrads(grads []*tl.Tensor, coef float64) {
	tl.NoGrad(func() {
		for _, g := range grads {
			g.MulScalarInPlace(coef)
		}
	})
}

// maxNaN32 is torch.max of values: the largest, NaN if any is NaN.
func maxNaN32(v []float32) float32 {
	m := v[0]
	for _, x := range v[1:] {
		if x != x || x > m {
			m = x
		}
		if m != m {
			return m
		}
	}
	return m
}

func maxNaN64(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		if x != x || x > m {
			m = x
		}
		if m != m {
			return m
		}
	}
	return m
}

// ClipGradValue clamps every element of the gradients of params to
// [-clip, clip] in place (torch.nn.utils.clip_grad_value_). Parameters
// without a gradient are skipped.
func ClipGradValue(params []*tl.Tensor, clip float64) {
	tl.NoGrad(func() {
		for _, p := range params {
			if p != nil && p.Grad() != nil {
				p.Grad().ClampInPlace(-clip, clip)
			}
		}
	})
}
