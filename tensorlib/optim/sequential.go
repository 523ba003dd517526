package optim

import "sort"

// SequentialLR runs schedulers one after another, switching at the
// milestone epochs (torch.optim.lr_scheduler.SequentialLR): the usual way
// to chain a warm-up (LinearLR) and a decay (CosineAnnealingLR). Each
// scheduler restarts from epoch 0 at its milestone (with its closed form).
type SequentialLR struct {
	opt        Optimizer
	schedulers []*lrScheduler
	milestones []int
	lastEpoch  int
	lastLR     []float64
}

// NewSequentialLR returns a SequentialLR of schedulers built over opt by
// this package's epoch-scheduler constructors (not SequentialLR,
// ChainedScheduler or ReduceLROnPlateau), with len(schedulers)-1 increasing
// milestones. Like PyTorch it resets the groups' rates to their initial
// values and replays the first scheduler's initial step.
func NewSequentialLR(opt Optimizer, schedulers []Scheduler, milestones []int) *SequentialLR {
	const op = "NewSequentialLR"
	if opt == nil {
		schedFail(op, "nil optimizer")
	}
	if len(milestones) != len(schedulers)-1 {
		schedFail(op, "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers %d and the number of milestones to be equal to %d", len(schedulers), len(milestones))
	}
	s := &SequentialLR{opt: opt, milestones: append([]int{}, milestones...)}
	for i, sc := range schedulers {
		b, ok := sc.(schedulerOf)
		if !ok || sc == nil {
			schedFail(op, "scheduler %d (%T) is not an epoch scheduler of this package", i, sc)
		}
		if b.sched().opt != opt {
			schedFail(op, "Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index %d to be different than the optimizer passed in.", i)
		}
		s.schedulers = append(s.schedulers, b.sched())
	}
	for _, g := range opt.ParamGroups() {
		g.SetLR(g.Float("initial_lr"))
	}
	for _, sc := range s.schedulers {
		sc.lastEpoch--
	}
	s.schedulers[0].initialStep()
	s.lastLR = s.schedulers[0].LastLR()
	return s
}

// Step advances the active scheduler, switching at milestones.
func (s *SequentialLR) Step() {
	s.lastEpoch++
	idx := sort.Search(len(s.milestones), func(i int) bool { return s.milestones[i] > s.lastEpoch })
	sc := s.schedulers[idx]
	if idx > 0 && s.milestones[idx-1] == s.lastEpoch {
		sc.stepTo(0)
	} else {
		sc.step()
	}
	s.lastLR = sc.LastLR()
}

// LastLR returns the learning rates set by the last step.
func (s *SequentialLR) LastLR() []float64 { return append([]float64{}, s.lastLR...) }

// ChainedScheduler steps several schedulers of one optimizer together, so
// their factors multiply (torch.optim.lr_scheduler.ChainedScheduler).
type ChainedScheduler struct {
	opt        Optimizer
	schedulers []Scheduler
	lastLR     []float64
}

// NewChainedScheduler returns a ChainedScheduler of schedulers built over
// the same optimizer by this package's constructors.
func NewChainedScheduler(schedulers ...Scheduler) *ChainedScheduler {
	const op = "NewChainedScheduler"
	if len(schedulers) == 0 {
		schedFail(op, "no schedulers")
	}
	var opt Optimizer
	for i, sc := range schedulers {
		b, ok := sc.(schedulerOf)
		if !ok || sc == nil {
			schedFail(op, "scheduler %d (%T) is not an epoch scheduler of this package", i, sc)
		}
		if i == 0 {
			opt = b.sched().opt
		} else if b.sched().opt != opt {
			schedFail(op, "ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and %d to be different", i)
		}
	}
	return &ChainedScheduler{opt: opt, schedulers: append([]Scheduler{}, schedulers...), lastLR: groupLRs(opt)}
}

// Step steps every scheduler in order.
func (s *ChainedScheduler) Step() {
	for _, sc := range s.schedulers {
		sc.Step()
	}
	s.lastLR = groupLRs(s.opt)
}

// LastLR returns the learning rates after the last step.
func (s *ChainedScheduler) LastLR() []float64 { return append([]float64{}, s.lastLR...) }
