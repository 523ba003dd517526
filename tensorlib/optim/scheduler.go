package optim

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

// Scheduler adjusts the learning rates of an optimizer's parameter groups
// once per epoch (or iteration). Call Step after the optimizer's Step.
type Scheduler interface {
	// Step advances the schedule by one and sets the groups' learning rates.
	Step()
	// LastLR returns the learning rate of each group set by the last step
	// (by construction before the first).
	LastLR() []float64
}

// lrScheduler is the machinery of PyTorch's _LRScheduler that the
// schedulers of this package share: the epoch counter, the base learning
// rates (each group's "initial_lr") and the chainable step.
type lrScheduler struct {
	opt       Optimizer
	baseLRs   []float64
	lastEpoch int
	stepCount int
	lastLR    []float64
	// getLR is the chainable (recursive) form, computed from the groups'
	// current learning rates; closedForm, when set, the closed form used
	// when stepping to an explicit epoch (as SequentialLR does).
	getLR      func() []float64
	closedForm func() []float64
}

// schedulerOf gives SequentialLR access to a scheduler's machinery.
type schedulerOf interface {
	sched() *lrScheduler
}

func (s *lrScheduler) sched() *lrScheduler { return s }

func schedFail(op, format string, args ...any) {
	panic(&tl.Error{Op: "optim." + op, Msg: fmt.Sprintf(format, args...)})
}

// init records each group's "initial_lr" (set to its learning rate when
// absent) as the base rates and takes the initial step, as _LRScheduler's
// constructor does with last_epoch=-1.
func (s *lrScheduler) init(op string, opt Optimizer, getLR, closedForm func() []float64) {
	if opt == nil {
		schedFail(op, "nil optimizer")
	}
	s.opt, s.getLR, s.closedForm = opt, getLR, closedForm
	for _, g := range opt.ParamGroups() {
		if _, ok := g.Hyper["initial_lr"]; !ok {
			g.Set("initial_lr", g.LR())
		}
		s.baseLRs = append(s.baseLRs, g.Float("initial_lr"))
	}
	s.lastEpoch = -1
	s.initialStep()
}

func (s *lrScheduler) initialStep() {
	s.stepCount = 0
	s.step()
}

// step is _LRScheduler.step(): the next epoch's rates from the chainable
// form.
func (s *lrScheduler) step() {
	s.stepCount++
	s.lastEpoch++
	s.apply(s.getLR())
}

// stepTo is _LRScheduler.step(epoch): the closed form where there is one.
func (s *lrScheduler) stepTo(epoch int) {
	s.stepCount++
	s.lastEpoch = epoch
	if s.closedForm != nil {
		s.apply(s.closedForm())
	} else {
		s.apply(s.getLR())
	}
}

func (s *lrScheduler) apply(lrs []float64) {
	groups := s.opt.ParamGroups()
	for i, g := range groups {
		if i < len(lrs) {
			g.SetLR(lrs[i])
		}
	}
	s.lastLR = groupLRs(s.opt)
}

// Step advances the schedule by one epoch.
func (s *lrScheduler) Step() { s.step() }

// LastLR returns the learning rates set by the last step.
func (s *lrScheduler) LastLR() []float64 { return append([]float64{}, s.lastLR...) }

// LastEpoch returns the index of the last epoch stepped to (0 after
// construction).
func (s *lrScheduler) LastEpoch() int { return s.lastEpoch }

// BaseLRs returns the groups' initial learning rates.
func (s *lrScheduler) BaseLRs() []float64 { return append([]float64{}, s.baseLRs...) }

// groupLRs returns the optimizer's current learning rates.
func groupLRs(opt Optimizer) []float64 {
	var lrs []float64
	for _, g := range opt.ParamGroups() {
		lrs = append(lrs, g.LR())
	}
	return lrs
}

// scaled returns the current rates times f(i) for each group i.
func (s *lrScheduler) scaled(f func(i int) float64) []float64 {
	lrs := groupLRs(s.opt)
	for i := range lrs {
		lrs[i] *= f(i)
	}
	return lrs
}

// perGroup returns a value for each group from a single value or a list.
func perGroup(op, name string, opt Optimizer, one float64, list []float64) []float64 {
	n := len(opt.ParamGroups())
	if list != nil {
		if len(list) != n {
			schedFail(op, "expected %d values for %s, got %d", n, name, len(list))
		}
		return append([]float64{}, list...)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = one
	}
	return out
}
