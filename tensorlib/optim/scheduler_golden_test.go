package optim

import (
	"encoding/json"
	"math"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// schedSpec is a scheduler of optim.json: kind, PyTorch's keyword
// arguments, and sub-schedulers for SequentialLR and ChainedScheduler.
type schedSpec struct {
	Kind       string                     `json:"kind"`
	Args       map[string]json.RawMessage `json:"args"`
	Schedulers []schedSpec                `json:"schedulers"`
}

// schedCase is one learning-rate schedule of optim.json.
type schedCase struct {
	Name            string      `json:"name"`
	Scheduler       schedSpec   `json:"scheduler"`
	Steps           int         `json:"steps"`
	Optimizer       string      `json:"optimizer"`
	LRs             []float64   `json:"lrs"`
	Momentum        float64     `json:"momentum"`
	Metrics         []float64   `json:"metrics"`
	LRHistory       [][]float64 `json:"lr_history"`
	MomentumHistory [][]float64 `json:"momentum_history"`
}

// Learning rates are float64 arithmetic on both sides: they agree to the
// last bits (math.Cos and math.Pow may differ from C's by an ulp).
const schedRel = 1e-12

// arg returns the keyword argument k decoded into v, reporting whether it
// was given.
func (s *schedSpec) arg(t *testing.T, k string, v any) bool {
	raw, ok := s.Args[k]
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("arg %s: %v", k, err)
	}
	return true
}

func (s *schedSpec) float(t *testing.T, k string, def float64) float64 {
	v := def
	s.arg(t, k, &v)
	return v
}

func (s *schedSpec) int(t *testing.T, k string, def int) int {
	v := def
	s.arg(t, k, &v)
	return v
}

// floats reads a number or a list of numbers.
func (s *schedSpec) floats(t *testing.T, k string) (float64, []float64) {
	raw, ok := s.Args[k]
	if !ok {
		return 0, nil
	}
	var one float64
	if json.Unmarshal(raw, &one) == nil {
		return one, nil
	}
	var list []float64
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("arg %s: %v", k, err)
	}
	return 0, list
}

// sched is the part of the schedulers' API the cases use.
type sched interface{ LastLR() []float64 }

func (s *schedSpec) build(t *testing.T, opt Optimizer) sched {
	t.Helper()
	switch s.Kind {
	case "step":
		return NewStepLR(opt, s.int(t, "step_size", 0), StepLROptions{Gamma: s.float(t, "gamma", 0)})
	case "multistep":
		var ms []int
		s.arg(t, "milestones", &ms)
		return NewMultiStepLR(opt, ms, MultiStepLROptions{Gamma: s.float(t, "gamma", 0)})
	case "exponential":
		return NewExponentialLR(opt, s.float(t, "gamma", 0))
	case "cosine":
		return NewCosineAnnealingLR(opt, s.int(t, "T_max", 0), CosineAnnealingLROptions{EtaMin: s.float(t, "eta_min", 0)})
	case "linear":
		return NewLinearLR(opt, s.float(t, "start_factor", 1.0/3), s.float(t, "end_factor", 1), s.int(t, "total_iters", 5))
	case "constant":
		return NewConstantLR(opt, s.float(t, "factor", 1.0/3), s.int(t, "total_iters", 5))
	case "polynomial":
		return NewPolynomialLR(opt, s.int(t, "total_iters", 5), s.float(t, "power", 1))
	case "lambda_pow":
		b := s.float(t, "base", 0)
		return NewLambdaLR(opt, func(e int) float64 { return math.Pow(b, float64(e)) })
	case "onecycle":
		one, list := s.floats(t, "max_lr")
		var strategy string
		s.arg(t, "anneal_strategy", &strategy)
		cycle, three := true, false
		s.arg(t, "cycle_momentum", &cycle)
		s.arg(t, "three_phase", &three)
		return NewOneCycleLR(opt, one, s.int(t, "total_steps", 0), OneCycleLROptions{
			MaxLRs: list, PctStart: s.float(t, "pct_start", 0), AnnealStrategy: strategy, NoCycleMomentum: !cycle,
			BaseMomentum: s.float(t, "base_momentum", 0), MaxMomentum: s.float(t, "max_momentum", 0),
			DivFactor: s.float(t, "div_factor", 0), FinalDivFactor: s.float(t, "final_div_factor", 0), ThreePhase: three,
		})
	case "plateau":
		o := PlateauOptions{Factor: s.float(t, "factor", 0), Cooldown: s.int(t, "cooldown", 0), Eps: s.float(t, "eps", 0)}
		s.arg(t, "mode", &o.Mode)
		s.arg(t, "threshold_mode", &o.ThresholdMode)
		if _, ok := s.Args["patience"]; ok {
			o.Patience = Int(s.int(t, "patience", 0))
		}
		if _, ok := s.Args["threshold"]; ok {
			o.Threshold = Float(s.float(t, "threshold", 0))
		}
		o.MinLR, o.MinLRs = s.floats(t, "min_lr")
		return NewReduceLROnPlateau(opt, o)
	case "sequential", "chained":
		var subs []Scheduler
		for i := range s.Schedulers {
			subs = append(subs, s.Schedulers[i].build(t, opt).(Scheduler))
		}
		if s.Kind == "chained" {
			return NewChainedScheduler(subs...)
		}
		var ms []int
		s.arg(t, "milestones", &ms)
		return NewSequentialLR(opt, subs, ms)
	}
	t.Fatalf("unknown scheduler %q", s.Kind)
	return nil
}

func (c *schedCase) optimizer() Optimizer {
	var groups []ParamGroup
	for i, lr := range c.LRs {
		groups = append(groups, ParamGroup{Params: []*tl.Tensor{tl.Zeros(2 + i).SetRequiresGrad(true)}, Hyper: Hyper{"lr": lr}})
	}
	if c.Optimizer == "adam" {
		return NewAdamGroups(groups)
	}
	return NewSGDGroups(groups, c.LRs[0], SGDOptions{Momentum: c.Momentum})
}

func momenta(opt Optimizer) []float64 {
	var out []float64
	for _, g := range opt.ParamGroups() {
		if b, ok := g.Hyper["betas"].([2]float64); ok {
			out = append(out, b[0])
		} else {
			out = append(out, g.Float("momentum"))
		}
	}
	return out
}

func checkRates(t *testing.T, what string, step int, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("step %d: %s %v, want %v", step, what, got, want)
	}
	for i := range want {
		if !closeTo(got[i], want[i], schedRel, 1e-300) {
			t.Fatalf("step %d: group %d: %s %.17g, want %.17g", step, i, what, got[i], want[i])
		}
	}
}

// TestSchedulersGolden compares every schedule's learning rates (and
// OneCycleLR's momenta) with PyTorch's after construction and each step.
func TestSchedulersGolden(t *testing.T) {
	for _, c := range loadGolden(t).Schedulers {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			opt := c.optimizer()
			s := c.Scheduler.build(t, opt)
			checkRates(t, "lr", 0, s.LastLR(), c.LRHistory[0])
			checkRates(t, "momentum", 0, momenta(opt), c.MomentumHistory[0])
			for k := 0; k < c.Steps; k++ {
				opt.Step()
				if c.Metrics != nil {
					s.(*ReduceLROnPlateau).StepMetric(c.Metrics[k])
				} else {
					s.(Scheduler).Step()
				}
				checkRates(t, "lr", k+1, s.LastLR(), c.LRHistory[k+1])
				checkRates(t, "lr of the groups", k+1, groupLRs(opt), c.LRHistory[k+1])
				checkRates(t, "momentum", k+1, momenta(opt), c.MomentumHistory[k+1])
			}
		})
	}
}
