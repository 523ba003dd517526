package optim

import tl "github.com/gotensor/gt/tensorlib"

// Adagrad is the Adagrad optimizer with optional learning-rate decay,
// weight decay and maximization (torch.optim.Adagrad). Each parameter's
// state is "step" (a float32 scalar) and "sum"; as in PyTorch it exists
// from construction.
type Adagrad struct{ *base }

// AdagradOptions are Adagrad's optional settings; the zero value is
// PyTorch's default. Zero LR or Eps mean the defaults.
type AdagradOptions struct {
	LR                      float64 // learning rate, default 1e-2
	LRDecay                 float64 // learning-rate decay
	WeightDecay             float64 // L2 penalty
	InitialAccumulatorValue float64 // starting value of the sums
	Eps                     float64 // denominator term, default 1e-10
	Maximize                bool    // maximize the objective instead of minimizing
}

var adagradSpec = &hyperSpec{
	floats: []string{"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"},
	bools:  []string{"maximize"},
	check: func(h Hyper) string {
		names := map[string]string{"lr": "learning rate: ", "lr_decay": "lr_decay value: ", "weight_decay": "weight_decay value: ",
			"initial_accumulator_value": "initial_accumulator_value value: ", "eps": "epsilon value: "}
		for _, k := range []string{"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"} {
			if v := h[k].(float64); v < 0 {
				return "Invalid " + names[k] + fmtFloat(v)
			}
		}
		return ""
	},
}

// NewAdagrad returns Adagrad over params. It panics with a *tl.Error for an
// empty parameter list or invalid settings.
func NewAdagrad(params []*tl.Tensor, opts ...AdagradOptions) *Adagrad {
	return NewAdagradGroups(single(params), opts...)
}

// NewAdagradGroups returns Adagrad over parameter groups; each group's
// Hyper overrides the settings given here ("lr", "lr_decay",
// "weight_decay", "initial_accumulator_value", "eps", "maximize").
func NewAdagradGroups(groups []ParamGroup, opts ...AdagradOptions) *Adagrad {
	var o AdagradOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	b := newBase("Adagrad", Hyper{
		"lr": orDefault(o.LR, 1e-2), "lr_decay": o.LRDecay, "weight_decay": o.WeightDecay,
		"initial_accumulator_value": o.InitialAccumulatorValue, "eps": orDefault(o.Eps, 1e-10), "maximize": o.Maximize,
	}, adagradSpec)
	b.stateKeys = func(*ParamGroup) []string { return []string{"step", "sum"} }
	b.initState = func(p *tl.Tensor, g *ParamGroup) map[string]*tl.Tensor {
		return map[string]*tl.Tensor{"step": tl.Scalar(0), "sum": tl.FullLike(p, g.Float("initial_accumulator_value"))}
	}
	b.addGroups(groups)
	return &Adagrad{b}
}

// Step applies one Adagrad update (PyTorch's _single_tensor_adagrad):
//
//	step += 1;  grad += wd·p;  clr = lr/(1 + (step-1)·lr_decay)
//	sum += grad·grad;  p += (-clr·grad)/(sqrt(sum) + eps)
func (o *Adagrad) Step() {
	tl.NoGrad(func() {
		for _, g := range o.groups {
			lr, lrDecay, wd, eps := g.Float("lr"), g.Float("lr_decay"), g.Float("weight_decay"), g.Float("eps")
			maximize := g.Bool("maximize")
			for _, p := range g.Params {
				if p.Grad() == nil {
					continue
				}
				st, ok := o.state[p]
				if !ok {
					st = o.initState(p, g)
					o.state[p] = st
				}
				step := stepCount(st)
				grad := gradOf(p, maximize)
				if wd != 0 {
					grad = addScaled(grad, p, wd)
				}
				clr := lr / (1 + float64((step-1)*lrDecay))
				sum := st["sum"]
				sum.AddcmulInPlace(grad, grad, 1)
				std := sum.Sqrt().AddScalarInPlace(eps)
				p.AddcdivInPlace(grad, std, -clr)
			}
		}
	})
}
