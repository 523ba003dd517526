package nn_test

import (
	"fmt"
	"math"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
)

// naReduction maps PyTorch's reduction names.
var naReduction = map[string]nn.Reduction{"mean": nn.Mean, "sum": nn.Sum, "none": nn.None}

// naLossOptions reads a loss case's options.
type naLossOptions struct {
	red                  nn.Reduction
	weight, posWeight    *tl.Tensor
	ignore               *int
	beta, labelSmoothing float64
}

func naLossOpts(o naSpec, dt tl.DType) naLossOptions {
	r := naLossOptions{red: naReduction[o.str("reduction")], beta: o.num("beta"), labelSmoothing: o.num("label_smoothing")}
	nested := func(k string) *tl.Tensor {
		v, ok := o[k].([]any)
		if !ok {
			return nil
		}
		var vals []float64
		shape := []int{len(v)}
		for _, x := range v {
			if row, ok := x.([]any); ok {
				shape = []int{len(v), len(row)}
				for _, y := range row {
					vals = append(vals, y.(float64))
				}
			} else {
				vals = append(vals, x.(float64))
			}
		}
		return tl.FromFloat64s(vals, shape...).To(dt)
	}
	r.weight, r.posWeight = nested("weight"), nested("pos_weight")
	if o.has("ignore_index") {
		r.ignore = nn.Index(o.int("ignore_index"))
	}
	return r
}

func naApplyLoss(name string, x, y *tl.Tensor, o naLossOptions) *tl.Tensor {
	switch name {
	case "mse":
		return nn.MSELoss(x, y, nn.LossOptions{Reduction: o.red})
	case "l1":
		return nn.L1Loss(x, y, nn.LossOptions{Reduction: o.red})
	case "smooth_l1":
		return nn.SmoothL1Loss(x, y, nn.SmoothL1Options{Reduction: o.red, Beta: o.beta})
	case "nll":
		return nn.NLLLoss(x, y, nn.NLLOptions{Weight: o.weight, IgnoreIndex: o.ignore, Reduction: o.red})
	case "cross_entropy":
		return nn.CrossEntropyLoss(x, y, nn.CrossEntropyOptions{Weight: o.weight, IgnoreIndex: o.ignore, Reduction: o.red, LabelSmoothing: o.labelSmoothing})
	case "bce":
		return nn.BCELoss(x, y, nn.BCEOptions{Weight: o.weight, Reduction: o.red})
	case "bce_logits":
		return nn.BCEWithLogitsLoss(x, y, nn.BCEWithLogitsOptions{Weight: o.weight, PosWeight: o.posWeight, Reduction: o.red})
	}
	panic("unknown loss " + name)
}

// naComposite lists the losses whose result PyTorch builds from primitive
// ops: their last node is tensorlib's primitive (whose names for the
// scalar-divisor forms differ from PyTorch's DivBackward1).
func naLossGradFnOK(c naLossCase, got string) bool {
	if got == c.GradFn {
		return true
	}
	// PyTorch divides by a Python int (div.Scalar: DivBackward1);
	// tensorlib's DivScalar records DivBackward0.
	return c.GradFn == "DivBackward1" && got == "DivBackward0"
}

func TestLossesGolden(t *testing.T) {
	g := naLoad(t)
	if len(g.Losses) < 100 {
		t.Fatalf("only %d loss cases", len(g.Losses))
	}
	for _, c := range g.Losses {
		t.Run(c.Name, func(t *testing.T) {
			o := naSpec(c.Opts)
			dt := naDTypes[o.str("dtype")]
			x, y := c.Inputs[0].build(), c.Inputs[1].build()
			out := naApplyLoss(c.Loss, x, y, naLossOpts(o, dt))
			naCheck(t, "output", out, c.Output, 1)
			if got := out.GradFn().Name(); !naLossGradFnOK(c, got) {
				t.Errorf("grad_fn %q, want %q", got, c.GradFn)
			}
			out.Mul(c.W.build()).Sum().Backward()
			for i, in := range []*tl.Tensor{x, y} {
				if c.Grads[i] == nil {
					if in.Grad() != nil {
						t.Errorf("input %d has a gradient, want none", i)
					}
					continue
				}
				naCheck(t, fmt.Sprintf("grad of input %d", i), in.Grad(), c.Grads[i], 1)
			}
		})
	}
}

// TestMSELossBitIdenticalToComposition checks the seed walkthrough's
// requirement: MSELoss with the Mean reduction gives, for float32, exactly
// the loss and gradients of input.Sub(target).Pow(2).Mean().
func TestMSELossBitIdenticalToComposition(t *testing.T) {
	shapes := [][]int{{100, 1}, {1}, {7}, {16}, {33, 3}, {4, 5, 6}, {1000}, {257, 17}}
	for _, shape := range shapes {
		for seed := uint64(0); seed < 5; seed++ {
			tl.ManualSeed(seed)
			scale := math.Pow(10, float64(seed)-2)
			xv := tl.Randn(shape...).MulScalar(scale)
			yv := tl.Randn(shape...).MulScalar(scale)
			run := func(f func(x, y *tl.Tensor) *tl.Tensor) (loss []float32, gx, gy []float32) {
				x := xv.Clone().SetRequiresGrad(true)
				y := yv.Clone().SetRequiresGrad(true)
				l := f(x, y)
				l.Backward()
				return l.Float32s(), x.Grad().Float32s(), y.Grad().Float32s()
			}
			l1, gx1, gy1 := run(func(x, y *tl.Tensor) *tl.Tensor { return nn.MSELoss(x, y) })
			l2, gx2, gy2 := run(func(x, y *tl.Tensor) *tl.Tensor { return x.Sub(y).Pow(2).Mean() })
			naBitsEqual(t, fmt.Sprintf("%v seed %d loss", shape, seed), l1, l2)
			naBitsEqual(t, fmt.Sprintf("%v seed %d input grad", shape, seed), gx1, gx2)
			naBitsEqual(t, fmt.Sprintf("%v seed %d target grad", shape, seed), gy1, gy2)
		}
	}
	// The seed walkthrough (examples/linear_regression): 100 epochs of
	// plain gradient descent on a Linear layer give the same losses and
	// parameters, bit for bit.
	walkthrough := func(loss func(p, y *tl.Tensor) *tl.Tensor) []float32 {
		tl.ManualSeed(42)
		X := tl.Randn(100, 1).MulScalar(10)
		y := X.MulScalar(2).AddScalar(1).Add(tl.Randn(100, 1).MulScalar(2))
		l := nn.NewLinear(1, 1)
		var out []float32
		for epoch := 0; epoch < 100; epoch++ {
			v := loss(l.Forward(X), y)
			v.Backward()
			out = append(out, v.Float32s()...)
			tl.NoGrad(func() {
				for _, p := range nn.Parameters(l) {
					p.SubInPlace(p.Grad().MulScalar(0.01))
				}
			})
			nn.ZeroGrad(l)
		}
		return append(append(out, l.Weight.Float32s()...), l.Bias.Float32s()...)
	}
	naBitsEqual(t, "linear regression", walkthrough(func(p, y *tl.Tensor) *tl.Tensor { return nn.MSELoss(p, y) }),
		walkthrough(func(p, y *tl.Tensor) *tl.Tensor { return p.Sub(y).Pow(2).Mean() }))
}

func naBitsEqual(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: lengths %d and %d", what, len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Errorf("%s[%d]: %v (%#x) != %v (%#x)", what, i, a[i], math.Float32bits(a[i]), b[i], math.Float32bits(b[i]))
			return
		}
	}
}

// TestCrossEntropyIgnoreIndexDefault checks that the zero options ignore
// targets equal to -100, as PyTorch's default does, and that class 0 can be
// ignored explicitly.
func TestCrossEntropyIgnoreIndexDefault(t *testing.T) {
	logits := tl.FromFloat32s([]float32{1, 2, 0.5, -1, 0, 3, 2, 2, 1}, 3, 3)
	all := tl.FromInts([]int{0, 2, 1})
	some := tl.FromInts([]int{0, -100, 1})
	kept := nn.CrossEntropyLoss(logits.Index(tl.FromInts([]int{0, 2})), tl.FromInts([]int{0, 1}))
	if got := nn.CrossEntropyLoss(logits, some); math.Abs(got.Item()-kept.Item()) > 1e-6 {
		t.Errorf("default ignore_index: loss %v, want %v (the mean over the other targets)", got.Item(), kept.Item())
	}
	ignore0 := nn.CrossEntropyLoss(logits, all, nn.CrossEntropyOptions{IgnoreIndex: nn.Index(0)})
	want := nn.CrossEntropyLoss(logits.Index(tl.FromInts([]int{1, 2})), tl.FromInts([]int{2, 1}))
	if math.Abs(ignore0.Item()-want.Item()) > 1e-6 {
		t.Errorf("IgnoreIndex 0: loss %v, want %v", ignore0.Item(), want.Item())
	}
	// With -100 no longer ignored, it is out of range.
	if err := tl.Catch(func() { nn.CrossEntropyLoss(logits, some, nn.CrossEntropyOptions{IgnoreIndex: nn.Index(0)}) }); err == nil {
		t.Error("target -100 with IgnoreIndex 0 did not panic")
	}
	// All targets ignored: the mean is 0/0, as in PyTorch.
	if v := nn.NLLLoss(logits, tl.FromInts([]int{-100, -100, -100})).Item(); !math.IsNaN(v) {
		t.Errorf("all ignored: %v, want NaN", v)
	}
}

func TestLossMisusePanics(t *testing.T) {
	x := tl.Zeros(4, 3)
	cases := []struct {
		name, op string
		f        func()
	}{
		{"mse shapes", "MSELoss", func() { nn.MSELoss(tl.Zeros(4, 1), tl.Zeros(4)) }},
		{"mse int", "MSELoss", func() { nn.MSELoss(tl.FromInts([]int{1}), tl.FromInts([]int{2})) }},
		{"l1 shapes", "L1Loss", func() { nn.L1Loss(x, tl.Zeros(3)) }},
		{"smooth l1 beta", "SmoothL1Loss", func() { nn.SmoothL1Loss(x, x, nn.SmoothL1Options{Beta: -1}) }},
		{"reduction", "MSELoss", func() { nn.MSELoss(x, x, nn.LossOptions{Reduction: 7}) }},
		{"nll target dtype", "NLLLoss", func() { nn.NLLLoss(x, tl.Zeros(4)) }},
		{"nll target shape", "NLLLoss", func() { nn.NLLLoss(x, tl.FromInts([]int{0, 1, 2})) }},
		{"nll target range", "NLLLoss", func() { nn.NLLLoss(x, tl.FromInts([]int{0, 1, 2, 3})) }},
		{"nll weight", "NLLLoss", func() { nn.NLLLoss(x, tl.FromInts([]int{0, 1, 2, 1}), nn.NLLOptions{Weight: tl.Ones(4)}) }},
		{"ce target range", "CrossEntropyLoss", func() { nn.CrossEntropyLoss(x, tl.FromInts([]int{0, 1, 2, -1})) }},
		{"ce probs dtype", "CrossEntropyLoss", func() { nn.CrossEntropyLoss(x, tl.New(tl.Int64, 4, 3)) }},
		{"ce probs ignore", "CrossEntropyLoss", func() { nn.CrossEntropyLoss(x, x, nn.CrossEntropyOptions{IgnoreIndex: nn.Index(1)}) }},
		{"ce smoothing", "CrossEntropyLoss", func() {
			nn.CrossEntropyLoss(x, tl.FromInts([]int{0, 1, 2, 1}), nn.CrossEntropyOptions{LabelSmoothing: 1.5})
		}},
		{"ce scalar", "CrossEntropyLoss", func() { nn.CrossEntropyLoss(tl.Scalar(1), tl.FromInts([]int{0})) }},
		{"bce range", "BCELoss", func() { nn.BCELoss(tl.Full(1.5, 2), tl.Zeros(2)) }},
		{"bce target range", "BCELoss", func() { nn.BCELoss(tl.Full(0.5, 2), tl.Full(-1, 2)) }},
		{"bce weight", "BCELoss", func() { nn.BCELoss(tl.Full(0.5, 4, 3), tl.Zeros(4, 3), nn.BCEOptions{Weight: tl.Ones(4)}) }},
		{"bce logits pos weight", "BCEWithLogitsLoss", func() {
			nn.BCEWithLogitsLoss(x, x, nn.BCEWithLogitsOptions{PosWeight: tl.Ones(2)})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := tl.Catch(c.f)
			if err == nil {
				t.Fatal("no panic")
			}
			if e, ok := err.(*tl.Error); !ok || e.Op != c.op {
				t.Errorf("error %v, want op %s", err, c.op)
			}
		})
	}
}

func TestReductionString(t *testing.T) {
	for r, want := range map[nn.Reduction]string{nn.Mean: "mean", nn.Sum: "sum", nn.None: "none", 9: "Reduction(9)"} {
		if r.String() != want {
			t.Errorf("%d: %q, want %q", int(r), r.String(), want)
		}
	}
}
