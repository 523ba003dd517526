package optim

import "math"

// ReduceLROnPlateau multiplies the learning rates by Factor when a metric
// has stopped improving for Patience epochs
// (torch.optim.lr_scheduler.ReduceLROnPlateau). It steps on the metric:
// call StepMetric(validationLoss) once per epoch.
type ReduceLROnPlateau struct {
	opt           Optimizer
	modeMax       bool
	absThreshold  bool
	factor        float64
	patience      int
	threshold     float64
	cooldown      int
	minLRs        []float64
	eps           float64
	best          float64
	numBadEpochs  int
	cooldownCount int
	lastEpoch     int
	lastLR        []float64
}

// PlateauOptions are ReduceLROnPlateau's optional settings; the zero value
// is PyTorch's default. Patience and Threshold are pointers so that 0 can be
// chosen (optim.Int(0), optim.Float(0)).
type PlateauOptions struct {
	Mode          string    // "min" (default): lower is better; "max": higher is better
	Factor        float64   // multiplier of the rates, default 0.1
	Patience      *int      // epochs without improvement tolerated, default 10
	Threshold     *float64  // minimum improvement, default 1e-4
	ThresholdMode string    // "rel" (default): relative to the best; "abs"
	Cooldown      int       // epochs to wait after a reduction
	MinLR         float64   // lower bound of every group's rate
	MinLRs        []float64 // per-group lower bounds, overriding MinLR
	Eps           float64   // smaller changes are skipped, default 1e-8
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau over opt's groups.
func NewReduceLROnPlateau(opt Optimizer, opts ...PlateauOptions) *ReduceLROnPlateau {
	const op = "NewReduceLROnPlateau"
	var o PlateauOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if opt == nil {
		schedFail(op, "nil optimizer")
	}
	s := &ReduceLROnPlateau{opt: opt, factor: orDefault(o.Factor, 0.1), patience: 10, threshold: 1e-4,
		cooldown: o.Cooldown, eps: orDefault(o.Eps, 1e-8)}
	if o.Patience != nil {
		s.patience = *o.Patience
	}
	if o.Threshold != nil {
		s.threshold = *o.Threshold
	}
	if s.factor >= 1.0 {
		schedFail(op, "Factor should be < 1.0.")
	}
	switch o.Mode {
	case "", "min":
	case "max":
		s.modeMax = true
	default:
		schedFail(op, "mode %s is unknown!", o.Mode)
	}
	switch o.ThresholdMode {
	case "", "rel":
	case "abs":
		s.absThreshold = true
	default:
		schedFail(op, "threshold mode %s is unknown!", o.ThresholdMode)
	}
	s.minLRs = perGroup(op, "min_lr", opt, o.MinLR, o.MinLRs)
	s.reset()
	s.lastLR = groupLRs(opt)
	return s
}

func (s *ReduceLROnPlateau) reset() {
	s.best = math.Inf(1)
	if s.modeMax {
		s.best = math.Inf(-1)
	}
	s.cooldownCount = 0
	s.numBadEpochs = 0
}

func (s *ReduceLROnPlateau) isBetter(a, best float64) bool {
	switch {
	case !s.modeMax && !s.absThreshold:
		return a < best*(1.-s.threshold)
	case !s.modeMax:
		return a < best-s.threshold
	case !s.absThreshold:
		return a > best*(s.threshold+1.)
	}
	return a > best+s.threshold
}

// StepMetric records the epoch's metric and reduces the learning rates
// when it has not improved for more than Patience epochs (outside a
// cooldown).
func (s *ReduceLROnPlateau) StepMetric(metric float64) {
	s.lastEpoch++
	if s.isBetter(metric, s.best) {
		s.best = metric
		s.numBadEpochs = 0
	} else {
		s.numBadEpochs++
	}
	if s.cooldownCount > 0 {
		s.cooldownCount--
		s.numBadEpochs = 0
	}
	if s.numBadEpochs > s.patience {
		for i, g := range s.opt.ParamGroups() {
			old := g.LR()
			nl := math.Max(old*s.factor, s.minLRs[i])
			if old-nl > s.eps {
				g.SetLR(nl)
			}
		}
		s.cooldownCount = s.cooldown
		s.numBadEpochs = 0
	}
	s.lastLR = groupLRs(s.opt)
}

// LastLR returns the groups' learning rates after the last StepMetric.
func (s *ReduceLROnPlateau) LastLR() []float64 { return append([]float64{}, s.lastLR...) }

// Best returns the best metric seen so far (±Inf before the first).
func (s *ReduceLROnPlateau) Best() float64 { return s.best }

// NumBadEpochs returns the number of epochs since the last improvement
// (reset by a reduction and during cooldown).
func (s *ReduceLROnPlateau) NumBadEpochs() int { return s.numBadEpochs }
