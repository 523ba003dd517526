package optim_test

import (
	"encoding/json"
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/optim"
)

// Fitting y = 2x + 1 with SGD and momentum.
func ExampleSGD() {
	x := tl.FromFloat32s([]float32{0, 1, 2, 3}, 4, 1)
	y := x.MulScalar(2).AddScalar(1)
	w := tl.Zeros(1, 1).SetRequiresGrad(true)
	b := tl.Zeros(1).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tl.Tensor{w, b}, 0.05, optim.SGDOptions{Momentum: 0.9})
	for i := 0; i < 200; i++ {
		opt.ZeroGrad()
		loss := x.MatMul(w).Add(b).Sub(y).Pow(2).Mean()
		loss.Backward()
		opt.Step()
	}
	fmt.Printf("w=%.3f b=%.3f\n", w.Item(), b.Item())
	// Output: w=2.000 b=1.000
}

// Minimizing (x-3)² with Adam, and the state it keeps.
func ExampleAdam() {
	x := tl.Zeros(1).SetRequiresGrad(true)
	opt := optim.NewAdam([]*tl.Tensor{x}, optim.AdamOptions{LR: 0.1})
	for i := 0; i < 100; i++ {
		opt.ZeroGrad()
		x.SubScalar(3).Pow(2).Sum().Backward()
		opt.Step()
	}
	fmt.Printf("x=%.2f\n", x.Item())
	st := opt.StateDict().State[0]
	fmt.Println(st["step"])
	// Output:
	// x=2.98
	// tensor(100.)
}

// Parameter groups: no weight decay for the bias, and a larger learning rate.
func ExampleNewSGDGroups() {
	w := tl.Ones(2, 2).SetRequiresGrad(true)
	b := tl.Ones(2).SetRequiresGrad(true)
	opt := optim.NewSGDGroups([]optim.ParamGroup{
		{Params: []*tl.Tensor{w}},
		{Params: []*tl.Tensor{b}, Hyper: optim.Hyper{"weight_decay": 0, "lr": 0.5}},
	}, 0.1, optim.SGDOptions{WeightDecay: 0.1})
	for _, g := range opt.ParamGroups() {
		fmt.Println(g.LR(), g.Float("weight_decay"))
	}
	// Output:
	// 0.1 0.1
	// 0.5 0
}

// Linear warm-up for 5 epochs, then cosine annealing.
func ExampleSequentialLR() {
	p := tl.Zeros(1).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tl.Tensor{p}, 0.1)
	warm := optim.NewLinearLR(opt, 0.2, 1, 5)
	cos := optim.NewCosineAnnealingLR(opt, 5)
	sched := optim.NewSequentialLR(opt, []optim.Scheduler{warm, cos}, []int{5})
	for epoch := 0; epoch < 11; epoch++ {
		fmt.Printf("%.4f ", sched.LastLR()[0])
		opt.Step() // after the epoch's training
		sched.Step()
	}
	fmt.Println()
	// Output: 0.0200 0.0360 0.0520 0.0680 0.0840 0.1000 0.0905 0.0655 0.0345 0.0095 0.0000
}

// Halving the learning rate when the validation loss stops improving.
func ExampleReduceLROnPlateau() {
	p := tl.Zeros(1).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tl.Tensor{p}, 0.1)
	sched := optim.NewReduceLROnPlateau(opt, optim.PlateauOptions{Factor: 0.5, Patience: optim.Int(1)})
	for _, loss := range []float64{1, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7} {
		sched.StepMetric(loss)
		fmt.Print(sched.LastLR()[0], " ")
	}
	fmt.Println()
	// Output: 0.1 0.1 0.1 0.05 0.05 0.05 0.025
}

// Clipping gradients to a total Euclidean norm of 1.
func ExampleClipGradNorm() {
	p := tl.Zeros(2).SetRequiresGrad(true)
	p.SetGrad(tl.FromFloat32s([]float32{3, 4}))
	total := optim.ClipGradNorm([]*tl.Tensor{p}, 1, 2)
	fmt.Println(total, p.Grad())
	// Output: 5 tensor([0.6000, 0.8000])
}

// Saving the optimizer's state as JSON and resuming from it.
func ExampleStateDict() {
	p := tl.FromFloat32s([]float32{1, 2}).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tl.Tensor{p}, 0.1, optim.SGDOptions{Momentum: 0.9})
	p.SetGrad(tl.FromFloat32s([]float32{1, 1}))
	opt.Step()
	b, _ := json.Marshal(opt.StateDict())
	fmt.Println(string(b))

	var sd optim.StateDict
	_ = json.Unmarshal(b, &sd)
	opt2 := optim.NewSGD([]*tl.Tensor{p}, 0.1, optim.SGDOptions{Momentum: 0.9})
	fmt.Println(opt2.LoadStateDict(&sd))
	// Output:
	// {"state":{"0":{"momentum_buffer":{"dtype":"float32","shape":[2],"data":[1,1]}}},"param_groups":[{"dampening":0,"lr":0.1,"maximize":false,"momentum":0.9,"nesterov":false,"weight_decay":0,"params":[0]}]}
	// <nil>
}
