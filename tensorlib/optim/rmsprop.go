package optim

import tl "github.com/gotensor/gt/tensorlib"

// RMSprop is the RMSprop optimizer with optional momentum, centering,
// weight decay and maximization (torch.optim.RMSprop). Each parameter's
// state is "step" (an int64 scalar, PyTorch's int), "square_avg", and
// "momentum_buffer" (with momentum) and "grad_avg" (centered).
type RMSprop struct{ *base }

// RMSpropOptions are RMSprop's optional settings; the zero value is
// PyTorch's default. Zero LR, Alpha or Eps mean the defaults.
type RMSpropOptions struct {
	LR          float64 // learning rate, default 1e-2
	Alpha       float64 // smoothing constant, default 0.99
	Eps         float64 // denominator term, default 1e-8
	WeightDecay float64 // L2 penalty
	Momentum    float64 // momentum factor
	Centered    bool    // normalize by an estimate of the gradient's variance
	Maximize    bool    // maximize the objective instead of minimizing
}

var rmspropSpec = &hyperSpec{
	floats: []string{"lr", "alpha", "eps", "weight_decay", "momentum"},
	bools:  []string{"centered", "maximize"},
	check: func(h Hyper) string {
		names := map[string]string{"lr": "learning rate: ", "eps": "epsilon value: ", "momentum": "momentum value: ",
			"weight_decay": "weight_decay value: ", "alpha": "alpha value: "}
		for _, k := range []string{"lr", "eps", "momentum", "weight_decay", "alpha"} {
			if v := h[k].(float64); v < 0 {
				return "Invalid " + names[k] + fmtFloat(v)
			}
		}
		return ""
	},
}

// NewRMSprop returns RMSprop over params. It panics with a *tl.Error for an
// empty parameter list or invalid settings.
func NewRMSprop(params []*tl.Tensor, opts ...RMSpropOptions) *RMSprop {
	return NewRMSpropGroups(single(params), opts...)
}

// NewRMSpropGroups returns RMSprop over parameter groups; each group's
// Hyper overrides the settings given here ("lr", "alpha", "eps",
// "weight_decay", "momentum", "centered", "maximize").
func NewRMSpropGroups(groups []ParamGroup, opts ...RMSpropOptions) *RMSprop {
	var o RMSpropOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	lr, alpha, eps := orDefault(o.LR, 1e-2), orDefault(o.Alpha, 0.99), orDefault(o.Eps, 1e-8)
	b := newBase("RMSprop", Hyper{
		"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": o.WeightDecay, "momentum": o.Momentum,
		"centered": o.Centered, "maximize": o.Maximize,
	}, rmspropSpec)
	b.stateKeys = func(g *ParamGroup) []string {
		keys := []string{"step", "square_avg"}
		if g.Float("momentum") > 0 {
			keys = append(keys, "momentum_buffer")
		}
		if g.Bool("centered") {
			keys = append(keys, "grad_avg")
		}
		return keys
	}
	b.addGroups(groups)
	return &RMSprop{b}
}

// Step applies one RMSprop update (PyTorch's _single_tensor_rmsprop):
//
//	grad += wd·p;  v = α·v + ((1-α)·grad)·grad
//	centered: ḡ = α·ḡ + (1-α)·grad;  avg = sqrt(v + (-ḡ)·ḡ) + eps
//	else avg = sqrt(v) + eps
//	momentum: buf = momentum·buf + grad/avg;  p += -lr·buf
//	else p += (-lr·grad)/avg
func (o *RMSprop) Step() {
	tl.NoGrad(func() {
		for _, g := range o.groups {
			lr, alpha, eps := g.Float("lr"), g.Float("alpha"), g.Float("eps")
			wd, momentum := g.Float("weight_decay"), g.Float("momentum")
			centered, maximize := g.Bool("centered"), g.Bool("maximize")
			for _, p := range g.Params {
				if p.Grad() == nil {
					continue
				}
				st := o.paramState(p)
				if st["step"] == nil {
					st["step"] = tl.FromInt64s([]int64{0}).Reshape().Clone()
					st["square_avg"] = tl.ZerosLike(p)
				}
				if momentum > 0 && st["momentum_buffer"] == nil {
					st["momentum_buffer"] = tl.ZerosLike(p)
				}
				if centered && st["grad_avg"] == nil {
					st["grad_avg"] = tl.ZerosLike(p)
				}
				stepCount(st)
				grad := gradOf(p, maximize)
				if wd != 0 {
					grad = addScaled(grad, p, wd)
				}
				sq := st["square_avg"]
				sq.MulScalarInPlace(alpha)
				sq.AddcmulInPlace(grad, grad, 1-alpha)
				var avg *tl.Tensor
				if centered {
					ga := st["grad_avg"]
					ga.MulScalarInPlace(alpha)
					ga.AddScaledInPlace(grad, 1-alpha)
					avg = sq.Clone().AddcmulInPlace(ga, ga, -1).SqrtInPlace()
				} else {
					avg = sq.Sqrt()
				}
				avg.AddScalarInPlace(eps)
				if momentum > 0 {
					buf := st["momentum_buffer"]
					buf.MulScalarInPlace(momentum)
					buf.AddcdivInPlace(grad, avg, 1)
					p.AddScaledInPlace(buf, -lr)
				} else {
					p.AddcdivInPlace(grad, avg, -lr)
				}
			}
		}
	})
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
