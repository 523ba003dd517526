package optim

import tl "github.com/gotensor/gt/tensorlib"

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum, weight decay and maximization (torch.optim.SGD). Its state is
// each parameter's "momentum_buffer" (nil without momentum, as PyTorch's
// None).
type SGD struct{ *base }

// SGDOptions are SGD's optional settings; the zero value is PyTorch's
// default (no momentum, dampening or weight decay).
type SGDOptions struct {
	Momentum    float64 // momentum factor
	Dampening   float64 // dampening for momentum
	WeightDecay float64 // L2 penalty
	Nesterov    bool    // Nesterov momentum (needs Momentum > 0 and no Dampening)
	Maximize    bool    // maximize the objective instead of minimizing
}

var sgdSpec = &hyperSpec{
	floats: []string{"lr", "momentum", "dampening", "weight_decay"},
	bools:  []string{"nesterov", "maximize"},
	check: func(h Hyper) string {
		switch {
		case h["lr"].(float64) < 0:
			return "Invalid learning rate: " + fmtFloat(h["lr"].(float64))
		case h["momentum"].(float64) < 0:
			return "Invalid momentum value: " + fmtFloat(h["momentum"].(float64))
		case h["weight_decay"].(float64) < 0:
			return "Invalid weight_decay value: " + fmtFloat(h["weight_decay"].(float64))
		case h["nesterov"].(bool) && (h["momentum"].(float64) <= 0 || h["dampening"].(float64) != 0):
			return "Nesterov momentum requires a momentum and zero dampening"
		}
		return ""
	},
}

// NewSGD returns SGD over params with learning rate lr. It panics with a
// *tl.Error for an empty parameter list or invalid settings.
func NewSGD(params []*tl.Tensor, lr float64, opts ...SGDOptions) *SGD {
	return NewSGDGroups(single(params), lr, opts...)
}

// NewSGDGroups returns SGD over parameter groups; each group's Hyper
// overrides the settings given here ("lr", "momentum", "dampening",
// "weight_decay", "nesterov", "maximize").
func NewSGDGroups(groups []ParamGroup, lr float64, opts ...SGDOptions) *SGD {
	var o SGDOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	b := newBase("SGD", Hyper{
		"lr": lr, "momentum": o.Momentum, "dampening": o.Dampening, "weight_decay": o.WeightDecay,
		"nesterov": o.Nesterov, "maximize": o.Maximize,
	}, sgdSpec)
	b.stateKeys = func(*ParamGroup) []string { return nil }
	b.addGroups(groups)
	return &SGD{b}
}

// Step applies one SGD update (PyTorch's _single_tensor_sgd) to every
// parameter with a gradient:
//
//	d = grad (negated to maximize) + weight_decay·p
//	buf = d at the first step, then momentum·buf + (1-dampening)·d
//	d = d + momentum·buf with Nesterov, else buf (with momentum)
//	p = p + float32(-lr)·d
func (o *SGD) Step() {
	tl.NoGrad(func() {
		for _, g := range o.groups {
			lr, momentum, dampening, wd := g.Float("lr"), g.Float("momentum"), g.Float("dampening"), g.Float("weight_decay")
			nesterov, maximize := g.Bool("nesterov"), g.Bool("maximize")
			for _, p := range g.Params {
				if p.Grad() == nil {
					continue
				}
				st := o.paramState(p)
				d := gradOf(p, maximize)
				if wd != 0 {
					d = addScaled(d, p, wd)
				}
				if momentum != 0 {
					buf := st["momentum_buffer"]
					if buf == nil {
						buf = d.Detach().Clone()
						st["momentum_buffer"] = buf
					} else {
						buf.MulScalarInPlace(momentum)
						buf.AddScaledInPlace(d, 1-dampening)
					}
					if nesterov {
						d = addScaled(d, buf, momentum)
					} else {
						d = buf
					}
				} else if _, ok := st["momentum_buffer"]; !ok {
					st["momentum_buffer"] = nil
				}
				p.AddInPlace(d.MulScalar(-lr))
			}
		}
	})
}

// single wraps a parameter list as one group (none for an empty list, so
// the constructor reports PyTorch's empty-list error).
func single(params []*tl.Tensor) []ParamGroup {
	if len(params) == 0 {
		return nil
	}
	return []ParamGroup{{Params: params}}
}
