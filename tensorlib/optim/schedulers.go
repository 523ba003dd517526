package optim

import (
	"math"
	"sort"
)

// StepLR multiplies the learning rates by Gamma every stepSize epochs
// (torch.optim.lr_scheduler.StepLR).
type StepLR struct {
	*lrScheduler
	stepSize int
	gamma    float64
}

// StepLROptions are StepLR's optional settings.
type StepLROptions struct {
	Gamma float64 // decay factor, default 0.1
}

// NewStepLR returns a StepLR over opt's groups, taking its initial step.
func NewStepLR(opt Optimizer, stepSize int, opts ...StepLROptions) *StepLR {
	var o StepLROptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if stepSize <= 0 {
		schedFail("NewStepLR", "step_size must be positive, got %d", stepSize)
	}
	s := &StepLR{lrScheduler: &lrScheduler{}, stepSize: stepSize, gamma: orDefault(o.Gamma, 0.1)}
	s.init("NewStepLR", opt, func() []float64 {
		e := s.lastEpoch
		if e == 0 || e%s.stepSize != 0 {
			return groupLRs(s.opt)
		}
		return s.scaled(func(int) float64 { return s.gamma })
	}, func() []float64 {
		return s.fromBase(func(int) float64 { return math.Pow(s.gamma, float64(floorDiv(s.lastEpoch, s.stepSize))) })
	})
	return s
}

// MultiStepLR multiplies the learning rates by Gamma at each milestone
// epoch (by Gamma^k for a milestone listed k times)
// (torch.optim.lr_scheduler.MultiStepLR).
type MultiStepLR struct {
	*lrScheduler
	milestones map[int]int
	sorted     []int
	gamma      float64
}

// MultiStepLROptions are MultiStepLR's optional settings.
type MultiStepLROptions struct {
	Gamma float64 // decay factor, default 0.1
}

// NewMultiStepLR returns a MultiStepLR over opt's groups.
func NewMultiStepLR(opt Optimizer, milestones []int, opts ...MultiStepLROptions) *MultiStepLR {
	var o MultiStepLROptions
	if len(opts) > 0 {
		o = opts[0]
	}
	s := &MultiStepLR{lrScheduler: &lrScheduler{}, milestones: map[int]int{}, gamma: orDefault(o.Gamma, 0.1)}
	for _, m := range milestones {
		s.milestones[m]++
	}
	s.sorted = append([]int{}, milestones...)
	sort.Ints(s.sorted)
	s.init("NewMultiStepLR", opt, func() []float64 {
		k, ok := s.milestones[s.lastEpoch]
		if !ok {
			return groupLRs(s.opt)
		}
		return s.scaled(func(int) float64 { return math.Pow(s.gamma, float64(k)) })
	}, func() []float64 {
		k := sort.Search(len(s.sorted), func(i int) bool { return s.sorted[i] > s.lastEpoch })
		return s.fromBase(func(int) float64 { return math.Pow(s.gamma, float64(k)) })
	})
	return s
}

// ExponentialLR multiplies the learning rates by gamma every epoch
// (torch.optim.lr_scheduler.ExponentialLR).
type ExponentialLR struct {
	*lrScheduler
	gamma float64
}

// NewExponentialLR returns an ExponentialLR over opt's groups.
func NewExponentialLR(opt Optimizer, gamma float64) *ExponentialLR {
	s := &ExponentialLR{lrScheduler: &lrScheduler{}, gamma: gamma}
	s.init("NewExponentialLR", opt, func() []float64 {
		if s.lastEpoch == 0 {
			return groupLRs(s.opt)
		}
		return s.scaled(func(int) float64 { return s.gamma })
	}, func() []float64 {
		return s.fromBase(func(int) float64 { return math.Pow(s.gamma, float64(s.lastEpoch)) })
	})
	return s
}

// ConstantLR multiplies the learning rates by factor until epoch
// totalIters, then restores them (torch.optim.lr_scheduler.ConstantLR;
// PyTorch's defaults are factor 1/3 and 5 iterations).
type ConstantLR struct {
	*lrScheduler
	factor     float64
	totalIters int
}

// NewConstantLR returns a ConstantLR over opt's groups; factor must be in
// [0, 1].
func NewConstantLR(opt Optimizer, factor float64, totalIters int) *ConstantLR {
	if factor > 1 || factor < 0 {
		schedFail("NewConstantLR", "Constant multiplicative factor expected to be between 0 and 1.")
	}
	s := &ConstantLR{lrScheduler: &lrScheduler{}, factor: factor, totalIters: totalIters}
	s.init("NewConstantLR", opt, func() []float64 {
		switch {
		case s.lastEpoch == 0:
			return s.scaled(func(int) float64 { return s.factor })
		case s.lastEpoch != s.totalIters:
			return groupLRs(s.opt)
		}
		return s.scaled(func(int) float64 { return 1.0 / s.factor })
	}, func() []float64 {
		done := 0.0
		if s.lastEpoch >= s.totalIters {
			done = 1
		}
		return s.fromBase(func(int) float64 { return s.factor + float64(done*(1-s.factor)) })
	})
	return s
}

// LinearLR scales the learning rates by a factor changing linearly from
// startFactor to endFactor over totalIters epochs, then keeps them: a
// linear warm-up or decay (torch.optim.lr_scheduler.LinearLR; PyTorch's
// defaults are 1/3, 1 and 5).
type LinearLR struct {
	*lrScheduler
	start, end float64
	totalIters int
}

// NewLinearLR returns a LinearLR over opt's groups. Both factors must be in
// [0, 1]; startFactor must not be 0 (PyTorch's recursive form divides by
// it).
func NewLinearLR(opt Optimizer, startFactor, endFactor float64, totalIters int) *LinearLR {
	switch {
	case startFactor > 1 || startFactor < 0:
		schedFail("NewLinearLR", "Starting multiplicative factor expected to be between 0 and 1.")
	case endFactor > 1 || endFactor < 0:
		schedFail("NewLinearLR", "Ending multiplicative factor expected to be between 0 and 1.")
	case startFactor == 0:
		schedFail("NewLinearLR", "start_factor 0 divides by zero in PyTorch 1.13's recursive form; use a small positive factor")
	case totalIters <= 0:
		schedFail("NewLinearLR", "total_iters must be positive, got %d", totalIters)
	}
	s := &LinearLR{lrScheduler: &lrScheduler{}, start: startFactor, end: endFactor, totalIters: totalIters}
	s.init("NewLinearLR", opt, func() []float64 {
		e := s.lastEpoch
		switch {
		case e == 0:
			return s.scaled(func(int) float64 { return s.start })
		case e > s.totalIters:
			return groupLRs(s.opt)
		}
		d := s.end - s.start
		f := 1. + d/(float64(float64(s.totalIters)*s.start)+float64(float64(e-1)*d))
		return s.scaled(func(int) float64 { return f })
	}, func() []float64 {
		n := min(s.totalIters, s.lastEpoch)
		f := s.start + float64((s.end-s.start)*float64(n))/float64(s.totalIters)
		return s.fromBase(func(int) float64 { return f })
	})
	return s
}

// PolynomialLR decays the learning rates by (1 - epoch/totalIters)^power
// until totalIters (torch.optim.lr_scheduler.PolynomialLR; PyTorch's
// defaults are 5 and 1).
type PolynomialLR struct {
	*lrScheduler
	totalIters int
	power      float64
}

// NewPolynomialLR returns a PolynomialLR over opt's groups.
func NewPolynomialLR(opt Optimizer, totalIters int, power float64) *PolynomialLR {
	if totalIters <= 0 {
		schedFail("NewPolynomialLR", "total_iters must be positive, got %d", totalIters)
	}
	s := &PolynomialLR{lrScheduler: &lrScheduler{}, totalIters: totalIters, power: power}
	s.init("NewPolynomialLR", opt, func() []float64 {
		e, n := float64(s.lastEpoch), float64(s.totalIters)
		if s.lastEpoch == 0 || s.lastEpoch > s.totalIters {
			return groupLRs(s.opt)
		}
		f := math.Pow((1.0-e/n)/(1.0-(e-1)/n), s.power)
		return s.scaled(func(int) float64 { return f })
	}, func() []float64 {
		e := float64(min(s.totalIters, s.lastEpoch))
		f := math.Pow(1.0-e/float64(s.totalIters), s.power)
		return s.fromBase(func(int) float64 { return f })
	})
	return s
}

// LambdaLR sets each group's learning rate to its base rate times
// lambda(epoch) (torch.optim.lr_scheduler.LambdaLR).
type LambdaLR struct {
	*lrScheduler
	lambdas []func(epoch int) float64
}

// NewLambdaLR returns a LambdaLR over opt's groups: one function for all
// groups, or one per group.
func NewLambdaLR(opt Optimizer, lambdas ...func(epoch int) float64) *LambdaLR {
	if opt == nil {
		schedFail("NewLambdaLR", "nil optimizer")
	}
	n := len(opt.ParamGroups())
	switch len(lambdas) {
	case 1:
		for len(lambdas) < n {
			lambdas = append(lambdas, lambdas[0])
		}
	case n:
	default:
		schedFail("NewLambdaLR", "Expected %d lr_lambdas, but got %d", n, len(lambdas))
	}
	s := &LambdaLR{lrScheduler: &lrScheduler{}, lambdas: lambdas}
	s.init("NewLambdaLR", opt, func() []float64 {
		return s.fromBase(func(i int) float64 { return s.lambdas[i](s.lastEpoch) })
	}, nil)
	return s
}

// fromBase returns the base rates times f(i) for each group i.
func (s *lrScheduler) fromBase(f func(i int) float64) []float64 {
	out := make([]float64, len(s.baseLRs))
	for i, b := range s.baseLRs {
		out[i] = b * f(i)
	}
	return out
}

// floorDiv is Python's // for ints.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
