package optim

import tl "github.com/gotensor/gt/tensorlib"

// Adam is the Adam optimizer with optional AMSGrad, L2 weight decay and
// maximization (torch.optim.Adam). Each parameter's state is "step" (a
// float32 scalar), "exp_avg", "exp_avg_sq" and, with AMSGrad,
// "max_exp_avg_sq".
type Adam struct{ *base }

// AdamW is Adam with decoupled weight decay (torch.optim.AdamW); its state
// is Adam's.
type AdamW struct{ *base }

// AdamOptions are Adam's optional settings; the zero value is PyTorch's
// default. Zero LR, Betas or Eps mean the defaults.
type AdamOptions struct {
	LR          float64    // learning rate, default 1e-3
	Betas       [2]float64 // running-average coefficients, default (0.9, 0.999)
	Eps         float64    // denominator term, default 1e-8
	WeightDecay float64    // L2 penalty added to the gradient
	AMSGrad     bool       // the AMSGrad variant
	Maximize    bool       // maximize the objective instead of minimizing
}

// AdamWOptions are AdamW's optional settings; the zero value is PyTorch's
// default. Zero LR, Betas, Eps or WeightDecay mean the defaults (AdamW
// without weight decay is Adam; a group can still set "weight_decay" to 0).
type AdamWOptions struct {
	LR          float64    // learning rate, default 1e-3
	Betas       [2]float64 // running-average coefficients, default (0.9, 0.999)
	Eps         float64    // denominator term, default 1e-8
	WeightDecay float64    // decoupled weight decay, default 1e-2
	AMSGrad     bool       // the AMSGrad variant
	Maximize    bool       // maximize the objective instead of minimizing
}

var adamSpec = &hyperSpec{
	floats: []string{"lr", "eps", "weight_decay"},
	bools:  []string{"amsgrad", "maximize"},
	pairs:  []string{"betas"},
	check: func(h Hyper) string {
		b := h["betas"].([2]float64)
		switch {
		case h["lr"].(float64) < 0:
			return "Invalid learning rate: " + fmtFloat(h["lr"].(float64))
		case h["eps"].(float64) < 0:
			return "Invalid epsilon value: " + fmtFloat(h["eps"].(float64))
		case b[0] < 0 || b[0] >= 1:
			return "Invalid beta parameter at index 0: " + fmtFloat(b[0])
		case b[1] < 0 || b[1] >= 1:
			return "Invalid beta parameter at index 1: " + fmtFloat(b[1])
		case h["weight_decay"].(float64) < 0:
			return "Invalid weight_decay value: " + fmtFloat(h["weight_decay"].(float64))
		}
		return ""
	},
}

func adamHyper(lr float64, betas [2]float64, eps, wd float64, amsgrad, maximize bool) Hyper {
	if lr == 0 {
		lr = 1e-3
	}
	if betas == [2]float64{} {
		betas = [2]float64{0.9, 0.999}
	}
	if eps == 0 {
		eps = 1e-8
	}
	return Hyper{"lr": lr, "betas": betas, "eps": eps, "weight_decay": wd, "amsgrad": amsgrad, "maximize": maximize}
}

func adamStateKeys(g *ParamGroup) []string {
	if g.Bool("amsgrad") {
		return []string{"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
	}
	return []string{"step", "exp_avg", "exp_avg_sq"}
}

// NewAdam returns Adam over params. It panics with a *tl.Error for an empty
// parameter list or invalid settings.
func NewAdam(params []*tl.Tensor, opts ...AdamOptions) *Adam {
	return NewAdamGroups(single(params), opts...)
}

// NewAdamGroups returns Adam over parameter groups; each group's Hyper
// overrides the settings given here ("lr", "betas", "eps", "weight_decay",
// "amsgrad", "maximize").
func NewAdamGroups(groups []ParamGroup, opts ...AdamOptions) *Adam {
	var o AdamOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	b := newBase("Adam", adamHyper(o.LR, o.Betas, o.Eps, o.WeightDecay, o.AMSGrad, o.Maximize), adamSpec)
	b.stateKeys = adamStateKeys
	b.addGroups(groups)
	return &Adam{b}
}

// NewAdamW returns AdamW over params. It panics with a *tl.Error for an
// empty parameter list or invalid settings.
func NewAdamW(params []*tl.Tensor, opts ...AdamWOptions) *AdamW {
	return NewAdamWGroups(single(params), opts...)
}

// NewAdamWGroups returns AdamW over parameter groups; each group's Hyper
// overrides the settings given here (as for NewAdamGroups).
func NewAdamWGroups(groups []ParamGroup, opts ...AdamWOptions) *AdamW {
	var o AdamWOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	wd := o.WeightDecay
	if wd == 0 {
		wd = 1e-2
	}
	b := newBase("AdamW", adamHyper(o.LR, o.Betas, o.Eps, wd, o.AMSGrad, o.Maximize), adamSpec)
	b.stateKeys = adamStateKeys
	b.addGroups(groups)
	return &AdamW{b}
}

// Step applies one Adam update (PyTorch's _single_tensor_adam).
func (o *Adam) Step() { adamStep(o.base, false) }

// Step applies one AdamW update (PyTorch's _single_tensor_adamw): the
// parameter is first multiplied by 1 - lr·weight_decay.
func (o *AdamW) Step() { adamStep(o.base, true) }

// adamStep is Adam's and AdamW's update (the elementwise part is
// tl.AdamUpdate, one pass over each parameter), op for op:
//
//	step += 1
//	p *= 1 - lr·wd (AdamW) or grad += wd·p (Adam)
//	m = β1·m + (1-β1)·grad;  v = β2·v + ((1-β2)·grad)·grad
//	v̂ = max(v̂, v) (AMSGrad)
//	denom = sqrt(v or v̂)/sqrt(1-β2^step) + eps
//	p += (-(lr/(1-β1^step))·m)/denom
func adamStep(b *base, decoupled bool) {
	tl.NoGrad(func() {
		for _, g := range b.groups {
			lr, eps, wd := g.Float("lr"), g.Float("eps"), g.Float("weight_decay")
			betas := g.Pair("betas")
			beta1, beta2 := betas[0], betas[1]
			amsgrad, maximize := g.Bool("amsgrad"), g.Bool("maximize")
			for _, p := range g.Params {
				if p.Grad() == nil {
					continue
				}
				st := b.paramState(p)
				if st["step"] == nil {
					st["step"] = tl.Scalar(0)
					st["exp_avg"] = tl.ZerosLike(p)
					st["exp_avg_sq"] = tl.ZerosLike(p)
				}
				if amsgrad && st["max_exp_avg_sq"] == nil {
					st["max_exp_avg_sq"] = tl.ZerosLike(p)
				}
				var vmax *tl.Tensor
				if amsgrad {
					vmax = st["max_exp_avg_sq"]
				}
				step := stepCount(st)
				tl.AdamUpdate{
					LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: wd,
					Decoupled: decoupled, Maximize: maximize, Step: step,
				}.ApplyInPlace(p, p.Grad(), st["exp_avg"], st["exp_avg_sq"], vmax)
			}
		}
	})
}
