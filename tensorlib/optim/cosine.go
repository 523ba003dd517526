package optim

import "math"

// CosineAnnealingLR anneals the learning rates from their base values to
// EtaMin along half a cosine over tMax epochs, and back up over the next
// tMax, with PyTorch's recursive form (torch.optim.lr_scheduler.
// CosineAnnealingLR).
type CosineAnnealingLR struct {
	*lrScheduler
	tMax   int
	etaMin float64
}

// CosineAnnealingLROptions are CosineAnnealingLR's optional settings.
type CosineAnnealingLROptions struct {
	EtaMin float64 // minimum learning rate, default 0
}

// NewCosineAnnealingLR returns a CosineAnnealingLR over opt's groups.
func NewCosineAnnealingLR(opt Optimizer, tMax int, opts ...CosineAnnealingLROptions) *CosineAnnealingLR {
	var o CosineAnnealingLROptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if tMax <= 0 {
		schedFail("NewCosineAnnealingLR", "T_max must be positive, got %d", tMax)
	}
	s := &CosineAnnealingLR{lrScheduler: &lrScheduler{}, tMax: tMax, etaMin: o.EtaMin}
	s.init("NewCosineAnnealingLR", opt, s.chainable, s.closed)
	return s
}

func (s *CosineAnnealingLR) chainable() []float64 {
	e, tMax, eta := s.lastEpoch, float64(s.tMax), s.etaMin
	lrs := groupLRs(s.opt)
	switch {
	case e == 0:
		return lrs
	case s.stepCount == 1 && e > 0:
		for i, b := range s.baseLRs {
			lrs[i] = eta + float64((b-eta)*(1+math.Cos(float64(e)*math.Pi/tMax)))/2
		}
	case (e-1-s.tMax)%(2*s.tMax) == 0:
		for i, b := range s.baseLRs {
			lrs[i] = lrs[i] + float64((b-eta)*(1-math.Cos(math.Pi/tMax)))/2
		}
	default:
		r := (1 + math.Cos(math.Pi*float64(e)/tMax)) / (1 + math.Cos(math.Pi*float64(e-1)/tMax))
		for i := range lrs {
			lrs[i] = float64(r*(lrs[i]-eta)) + eta
		}
	}
	return lrs
}

func (s *CosineAnnealingLR) closed() []float64 {
	e, tMax, eta := float64(s.lastEpoch), float64(s.tMax), s.etaMin
	out := make([]float64, len(s.baseLRs))
	for i, b := range s.baseLRs {
		out[i] = eta + float64((b-eta)*(1+math.Cos(math.Pi*e/tMax)))/2
	}
	return out
}
