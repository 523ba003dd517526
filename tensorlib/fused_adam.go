package tensorlib

import "math"

// AdamUpdate is the elementwise part of one Adam or AdamW step (PyTorch
// 1.13's _single_tensor_adam and _single_tensor_adamw), applied by
// ApplyInPlace in one pass over the parameter, its gradient and its
// running averages. It is the kernel of optim.Adam and optim.AdamW, in the
// spirit of PyTorch's torch._fused_adam_; most code wants those optimizers.
//
// The values are those of PyTorch 1.13's sequence of tensor ops, rounding
// for rounding (see ApplyInPlace), so the optimizers reproduce PyTorch's
// float32 results bit for bit.
type AdamUpdate struct {
	LR          float64 // learning rate
	Beta1       float64 // running-average coefficient of the gradient
	Beta2       float64 // running-average coefficient of its square
	Eps         float64 // denominator term
	WeightDecay float64 // L2 penalty added to the gradient; AdamW's decay with Decoupled
	Decoupled   bool    // AdamW: multiply the parameter by 1 - LR·WeightDecay first
	Maximize    bool    // ascend: use the negated gradient
	Step        float64 // the step number, 1 at the first update (bias corrections)
}

// ApplyInPlace applies the update to param and the state tensors expAvg,
// expAvgSq and, for AMSGrad, maxExpAvgSq (nil otherwise), from grad. It
// records no autograd history (it runs under NoGrad, as an optimizer step
// does). Op for op, as PyTorch 1.13 computes it:
//
//	param *= 1 - lr·wd (Decoupled), or grad = grad.add(param, alpha=wd) (wd ≠ 0)
//	expAvg.mul_(β1).add_(grad, alpha=1-β1)
//	expAvgSq.mul_(β2).addcmul_(grad, grad, value=1-β2)
//	maxExpAvgSq = maximum(maxExpAvgSq, expAvgSq) (AMSGrad)
//	denom = (sqrt(maxExpAvgSq or expAvgSq) / sqrt(1-β2^step)).add_(eps)
//	param.addcdiv_(expAvg, denom, value=-lr/(1-β1^step))
//
// with the rounding of AddScaledInPlace and AddcmulInPlace. Float32
// tensors of one shape, contiguous and not sharing storage, are updated in
// one pass (AVX2 assembly where the CPU has it); other tensors compose
// those ops. Shapes that differ panic with an *Error.
func (u AdamUpdate) ApplyInPlace(param, grad, expAvg, expAvgSq, maxExpAvgSq *Tensor) {
	const op = "AdamUpdate"
	ts := []*Tensor{param, grad, expAvg, expAvgSq}
	if maxExpAvgSq != nil {
		ts = append(ts, maxExpAvgSq)
	}
	for _, t := range ts[1:] {
		if !sameShape(t.shape, param.shape) {
			shapes := make([][]int, len(ts))
			for i, t := range ts {
				shapes[i] = t.shape
			}
			failShapes(op, shapes, "the gradient and state must have the parameter's shape")
		}
	}
	NoGrad(func() {
		if u.fast(ts) {
			return
		}
		u.composed(param, grad, expAvg, expAvgSq, maxExpAvgSq)
	})
}

// composed is ApplyInPlace written with tensor ops: the definition of its
// values, and its path for other dtypes and layouts.
func (u AdamUpdate) composed(param, grad, expAvg, expAvgSq, maxExpAvgSq *Tensor) {
	bc2Sqrt, stepSize := u.corrections()
	if u.Maximize {
		grad = grad.Neg()
	}
	if u.Decoupled {
		param.MulScalarInPlace(1 - u.LR*u.WeightDecay)
	} else if u.WeightDecay != 0 {
		grad = grad.Clone().AddScaledInPlace(param, u.WeightDecay)
	}
	expAvg.MulScalarInPlace(u.Beta1).AddScaledInPlace(grad, 1-u.Beta1)
	expAvgSq.MulScalarInPlace(u.Beta2).AddcmulInPlace(grad, grad, 1-u.Beta2)
	v := expAvgSq
	if maxExpAvgSq != nil {
		maxExpAvgSq.CopyInPlace(Where(expAvgSq.Gt(maxExpAvgSq).LogicalOr(expAvgSq.IsNaN()), expAvgSq, maxExpAvgSq))
		v = maxExpAvgSq
	}
	denom := v.Sqrt().DivScalarInPlace(bc2Sqrt).AddScalarInPlace(u.Eps)
	param.AddcdivInPlace(expAvg, denom, -stepSize)
}

// corrections returns the bias correction sqrt(1-β2^step) and the step
// size lr/(1-β1^step), in float64 as PyTorch's Python code computes them.
func (u AdamUpdate) corrections() (bc2Sqrt, stepSize float64) {
	bc1 := 1 - math.Pow(u.Beta1, u.Step)
	return math.Sqrt(1 - math.Pow(u.Beta2, u.Step)), u.LR / bc1
}

// fast runs the one-pass kernel when every tensor is float32, contiguous,
// not traced, and in a storage of its own; it reports whether it did.
func (u AdamUpdate) fast(ts []*Tensor) bool {
	for i, t := range ts {
		if t.dtype != Float32 || !t.IsContiguous() || needsGrad(t) {
			return false
		}
		for _, o := range ts[:i] {
			if o.st == t.st {
				return false
			}
		}
	}
	bc2Sqrt, stepSize := u.corrections()
	c := adamConsts{
		decay: 1, beta1: float32(u.Beta1), beta2: float32(u.Beta2), omb2: float32(1 - u.Beta2),
		bc2s: float32(bc2Sqrt), eps: float32(u.Eps), nss: float32(-stepSize),
		omb1: float64(float32(1 - u.Beta1)), ams: len(ts) == 5, neg: u.Maximize,
	}
	if u.Decoupled {
		c.decay = float32(1 - u.LR*u.WeightDecay)
	} else if u.WeightDecay != 0 {
		c.coupled, c.wd = true, float64(float32(u.WeightDecay))
	}
	if c.neg {
		c.sign = float32(math.Copysign(0, -1))
	}
	n := ts[0].Numel()
	slice := func(t *Tensor) []float32 { return dataOf[float32](t)[t.offset:][:n] }
	p, g, m, v := slice(ts[0]), slice(ts[1]), slice(ts[2]), slice(ts[3])
	var vmax []float32
	if c.ams {
		vmax = slice(ts[4])
	}
	// An element costs about four adds' worth of work, so the loop is
	// split between threads from a quarter of an add's threshold.
	parallelFor(n, cheapParallelMin/4, cheapChunk/4, func(lo, hi int) {
		var vm []float32
		if vmax != nil {
			vm = vmax[lo:hi]
		}
		adamKernel(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], vm, &c)
	})
	for _, t := range ts {
		if t != ts[1] {
			t.st.version++
		}
	}
	return true
}

// adamConsts are the scalars of the one-pass kernel, each rounded as the
// composed op it stands for rounds it. The float32 fields come first, in
// the order fused_amd64.s reads them.
type adamConsts struct {
	decay float32 // parameter multiplier: 1 - lr·wd for AdamW, else 1
	sign  float32 // -0 to negate the gradient (XOR of its sign bit), else 0
	beta1 float32
	beta2 float32
	omb2  float32 // 1 - β2, addcmul's value
	bc2s  float32 // sqrt(1 - β2^step)
	eps   float32
	nss   float32 // -lr/(1 - β1^step), addcdiv's value
	omb1  float64 // float32(1 - β1) in float64, add's alpha
	wd    float64 // float32(weight decay) in float64, for coupled decay

	coupled bool // grad = grad + wd·param
	ams     bool // AMSGrad: vmax = max(vmax, v) is the denominator's
	neg     bool // maximize
}

// adamKernel is the kernel in use: the pure-Go adamGo, or where the CPU
// allows (fused_amd64.go) assembly for the common case.
var adamKernel = adamGo

// adamGo is one Adam update of every element: the arithmetic of
// AdamUpdate.composed per element, each step rounded as there. vmax is nil
// without AMSGrad.
func adamGo(p, g, m, v, vmax []float32, c *adamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		pi := p[i] * c.decay
		gi := g[i]
		if c.neg {
			gi = -gi
		}
		if c.coupled {
			gi = float32(float64(gi) + float64(pi)*c.wd)
		}
		mi := m[i] * c.beta1
		mi = float32(float64(mi) + float64(gi)*c.omb1)
		vi := v[i] * c.beta2
		gs := gi * c.omb2
		vi = float32(float64(vi) + float64(gs)*float64(gi))
		d := vi
		if vmax != nil {
			if x := vmax[i]; !(vi > x || vi != vi) {
				d = x
			}
			vmax[i] = d
		}
		d = float32(math.Sqrt(float64(d)))
		d = d / c.bc2s
		d = d + c.eps
		t := mi * c.nss
		t = t / d
		p[i], m[i], v[i] = pi+t, mi, vi
	}
}
