package optim

import (
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

func sgdFor(lrs ...float64) *SGD {
	var groups []ParamGroup
	for _, lr := range lrs {
		groups = append(groups, ParamGroup{Params: []*tl.Tensor{tl.Zeros(1).SetRequiresGrad(true)}, Hyper: Hyper{"lr": lr}})
	}
	return NewSGDGroups(groups, lrs[0])
}

func TestSchedulerErrors(t *testing.T) {
	other := sgdFor(0.1)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"onecycle without momentum", func() { NewOneCycleLR(NewAdagrad([]*tl.Tensor{tl.Zeros(1).SetRequiresGrad(true)}), 0.1, 10) }, "support momentum"},
		{"onecycle past the end", func() {
			s := NewOneCycleLR(sgdFor(0.1), 0.1, 3)
			for i := 0; i < 4; i++ {
				s.Step()
			}
		}, "Tried to step 5 times"},
		{"onecycle max_lrs", func() { NewOneCycleLR(sgdFor(0.1, 0.2), 0.1, 3, OneCycleLROptions{MaxLRs: []float64{1}}) }, "expected 2 values"},
		{"onecycle strategy", func() { NewOneCycleLR(sgdFor(0.1), 0.1, 3, OneCycleLROptions{AnnealStrategy: "exp"}) }, "anneal_strategy"},
		{"linear start 0", func() { NewLinearLR(sgdFor(0.1), 0, 1, 5) }, "start_factor 0"},
		{"linear factor", func() { NewLinearLR(sgdFor(0.1), 0.5, 2, 5) }, "Ending multiplicative factor"},
		{"constant factor", func() { NewConstantLR(sgdFor(0.1), 1.5, 5) }, "between 0 and 1"},
		{"step size", func() { NewStepLR(sgdFor(0.1), 0) }, "step_size"},
		{"plateau factor", func() { NewReduceLROnPlateau(sgdFor(0.1), PlateauOptions{Factor: 1}) }, "Factor should be < 1.0"},
		{"plateau mode", func() { NewReduceLROnPlateau(sgdFor(0.1), PlateauOptions{Mode: "up"}) }, "mode up is unknown"},
		{"lambdas", func() {
			NewLambdaLR(sgdFor(0.1, 0.2, 0.3), func(int) float64 { return 1 }, func(int) float64 { return 1 })
		}, "Expected 3 lr_lambdas"},
		{"sequential milestones", func() {
			o := sgdFor(0.1)
			NewSequentialLR(o, []Scheduler{NewExponentialLR(o, 0.9)}, []int{3})
		}, "one more than the number of milestone"},
		{"sequential optimizer", func() {
			o := sgdFor(0.1)
			NewSequentialLR(o, []Scheduler{NewExponentialLR(o, 0.9), NewExponentialLR(other, 0.9)}, []int{3})
		}, "same optimizer"},
		{"sequential of sequential", func() {
			o := sgdFor(0.1)
			inner := NewSequentialLR(o, []Scheduler{NewExponentialLR(o, 0.9)}, nil)
			NewSequentialLR(o, []Scheduler{inner}, nil)
		}, "not an epoch scheduler"},
		{"chained optimizer", func() { NewChainedScheduler(NewExponentialLR(sgdFor(0.1), 0.9), NewExponentialLR(other, 0.9)) }, "same optimizer"},
	}
	for _, c := range cases {
		e := catch(t, c.f)
		if e == nil || !strings.Contains(e.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, e, c.want)
		}
	}
}

// TestLambdaLRPerGroup: one function per group, from each group's base rate.
func TestLambdaLRPerGroup(t *testing.T) {
	opt := sgdFor(1, 2)
	s := NewLambdaLR(opt, func(e int) float64 { return float64(e) }, func(e int) float64 { return 1 / float64(e+1) })
	s.Step()
	s.Step()
	if got := s.LastLR(); got[0] != 2 || got[1] != 2.0/3 {
		t.Fatalf("LastLR %v", got)
	}
	if s.LastEpoch() != 2 || s.BaseLRs()[1] != 2 {
		t.Fatalf("LastEpoch %d BaseLRs %v", s.LastEpoch(), s.BaseLRs())
	}
}

// TestSchedulerKeepsInitialLR: a second scheduler over the same optimizer
// starts from the recorded "initial_lr", as in PyTorch.
func TestSchedulerKeepsInitialLR(t *testing.T) {
	opt := sgdFor(0.1)
	NewConstantLR(opt, 0.5, 3)
	if lr := opt.ParamGroups()[0].LR(); lr != 0.05 {
		t.Fatalf("lr after ConstantLR %v", lr)
	}
	s := NewExponentialLR(opt, 0.5)
	if s.BaseLRs()[0] != 0.1 || opt.ParamGroups()[0].Float("initial_lr") != 0.1 {
		t.Fatalf("base %v", s.BaseLRs())
	}
}

func TestPlateauState(t *testing.T) {
	opt := sgdFor(0.1)
	s := NewReduceLROnPlateau(opt, PlateauOptions{Mode: "max", Patience: Int(0), Threshold: Float(0)})
	if got := s.LastLR(); got[0] != 0.1 {
		t.Fatalf("LastLR before any step %v", got)
	}
	s.StepMetric(1)
	s.StepMetric(1)
	lr, factor := 0.1, 0.1
	if s.Best() != 1 || s.LastLR()[0] != lr*factor {
		t.Fatalf("best %v lr %v", s.Best(), s.LastLR())
	}
	s.StepMetric(2)
	if s.NumBadEpochs() != 0 || s.Best() != 2 {
		t.Fatalf("bad epochs %d best %v", s.NumBadEpochs(), s.Best())
	}
}
