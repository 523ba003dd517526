package optim

import "math"

// OneCycleLR is the 1cycle policy (torch.optim.lr_scheduler.OneCycleLR):
// the learning rates rise from maxLR/DivFactor to maxLR over the first
// PctStart of totalSteps steps, then fall to maxLR/(DivFactor·
// FinalDivFactor); momentum (or Adam's β1) moves inversely between
// MaxMomentum and BaseMomentum. ThreePhase mirrors the rise before the
// final fall, as in fastai. Step it once per batch; stepping past
// totalSteps panics.
type OneCycleLR struct {
	*lrScheduler
	totalSteps    int
	phases        []oneCyclePhase
	linear        bool
	cycleMomentum bool
	useBeta1      bool
}

type oneCyclePhase struct {
	endStep                  float64
	startLR, endLR           string
	startMomentum, endMoment string
}

// OneCycleLROptions are OneCycleLR's optional settings; the zero value is
// PyTorch's default.
type OneCycleLROptions struct {
	MaxLRs          []float64 // per-group peak rates, overriding maxLR
	PctStart        float64   // fraction of the cycle spent rising, default 0.3
	AnnealStrategy  string    // "cos" (default) or "linear"
	NoCycleMomentum bool      // leave momentum alone (cycle_momentum=False)
	BaseMomentum    float64   // lowest momentum, default 0.85
	MaxMomentum     float64   // highest momentum, default 0.95
	DivFactor       float64   // initial rate = maxLR/DivFactor, default 25
	FinalDivFactor  float64   // final rate = initial rate/FinalDivFactor, default 1e4
	ThreePhase      bool      // rise, fall back to the initial rate, then anneal
}

// NewOneCycleLR returns a OneCycleLR over opt's groups for totalSteps
// steps. It sets each group's "initial_lr", "max_lr" and "min_lr" and, when
// cycling momentum, "max_momentum", "base_momentum" and "momentum" (or
// "betas"), as PyTorch does; it panics when cycling momentum with an
// optimizer that has neither.
func NewOneCycleLR(opt Optimizer, maxLR float64, totalSteps int, opts ...OneCycleLROptions) *OneCycleLR {
	const op = "NewOneCycleLR"
	var o OneCycleLROptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if opt == nil {
		schedFail(op, "nil optimizer")
	}
	if totalSteps <= 0 {
		schedFail(op, "Expected positive integer total_steps, but got %d", totalSteps)
	}
	pct := orDefault(o.PctStart, 0.3)
	if pct < 0 || pct > 1 {
		schedFail(op, "Expected float between 0 and 1 pct_start, but got %v", pct)
	}
	s := &OneCycleLR{lrScheduler: &lrScheduler{}, totalSteps: totalSteps, cycleMomentum: !o.NoCycleMomentum}
	switch o.AnnealStrategy {
	case "", "cos":
	case "linear":
		s.linear = true
	default:
		schedFail(op, "anneal_strategy must by one of 'cos' or 'linear', instead got %s", o.AnnealStrategy)
	}
	n := float64(totalSteps)
	if o.ThreePhase {
		s.phases = []oneCyclePhase{
			{float64(pct*n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
			{float64(2*pct*n) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"},
			{n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"},
		}
	} else {
		s.phases = []oneCyclePhase{
			{float64(pct*n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
			{n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"},
		}
	}
	div, finalDiv := orDefault(o.DivFactor, 25), orDefault(o.FinalDivFactor, 1e4)
	maxLRs := perGroup(op, "max_lr", opt, maxLR, o.MaxLRs)
	for i, g := range opt.ParamGroups() {
		g.Set("initial_lr", maxLRs[i]/div)
		g.Set("max_lr", maxLRs[i])
		g.Set("min_lr", g.Float("initial_lr")/finalDiv)
	}
	if s.cycleMomentum {
		d := opt.Defaults()
		_, hasMomentum := d["momentum"]
		_, hasBetas := d["betas"]
		if !hasMomentum && !hasBetas {
			schedFail(op, "optimizer must support momentum with `cycle_momentum` option enabled")
		}
		s.useBeta1 = hasBetas
		maxM, baseM := orDefault(o.MaxMomentum, 0.95), orDefault(o.BaseMomentum, 0.85)
		for _, g := range opt.ParamGroups() {
			s.setMomentum(g, maxM)
			g.Set("max_momentum", maxM)
			g.Set("base_momentum", baseM)
		}
	}
	s.init(op, opt, s.chainable, nil)
	return s
}

func (s *OneCycleLR) setMomentum(g *ParamGroup, m float64) {
	if s.useBeta1 {
		b := g.Pair("betas")
		g.Set("betas", [2]float64{m, b[1]})
	} else {
		g.Set("momentum", m)
	}
}

func (s *OneCycleLR) anneal(start, end, pct float64) float64 {
	if s.linear {
		return float64((end-start)*pct) + start
	}
	cosOut := math.Cos(math.Pi*pct) + 1
	return end + float64((start-end)/2.0*cosOut)
}

func (s *OneCycleLR) chainable() []float64 {
	step := float64(s.lastEpoch)
	if s.lastEpoch > s.totalSteps {
		schedFail("OneCycleLR.Step", "Tried to step %d times. The specified number of total steps is %d", s.lastEpoch+1, s.totalSteps)
	}
	var lrs []float64
	for _, g := range s.opt.ParamGroups() {
		start := 0.0
		var lr, m float64
		for i, ph := range s.phases {
			if step <= ph.endStep || i == len(s.phases)-1 {
				pct := (step - start) / (ph.endStep - start)
				lr = s.anneal(g.Float(ph.startLR), g.Float(ph.endLR), pct)
				if s.cycleMomentum {
					m = s.anneal(g.Float(ph.startMomentum), g.Float(ph.endMoment), pct)
				}
				break
			}
			start = ph.endStep
		}
		lrs = append(lrs, lr)
		if s.cycleMomentum {
			s.setMomentum(g, m)
		}
	}
	return lrs
}
