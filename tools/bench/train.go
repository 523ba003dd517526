package main

// The training workloads of `make bench`, written as a gt user writes them
// (the same programs are in torch_bench.py): the seed walkthrough, an MLP
// trained with Adam and a small CNN trained with SGD. Each returns the
// timed operation; inputs and models are built once, outside the timing.

import (
	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
	"github.com/gotensor/gt/tensorlib/optim"
)

const (
	walkEpochs = 100 // the walkthrough's epochs per timed run
	mlpSteps   = 200 // Adam steps per timed MLP run
	mlpBatch   = 128
	cnnBatch   = 64
)

// walkthroughOp is the seed walkthrough's training: data, Linear(1, 1),
// MSELoss and SGD(lr=0.01) for 100 epochs, reading the loss every epoch.
func walkthroughOp() func() {
	return func() {
		tl.ManualSeed(42)
		x := tl.Randn(100, 1).MulScalar(10)
		y := x.MulScalar(2).AddScalar(1).Add(tl.Randn(100, 1).MulScalar(2))
		model := nn.NewLinear(1, 1)
		opt := optim.NewSGD(nn.Parameters(model), 0.01)
		for epoch := 0; epoch < walkEpochs; epoch++ {
			loss := nn.MSELoss(model.Forward(x), y)
			_ = loss.Item()
			loss.Backward()
			opt.Step()
			opt.ZeroGrad()
		}
	}
}

// mlpOp trains an MLP 784-256-10 (ReLU) with cross-entropy and Adam for
// 200 steps of batch 128, cycling over four random batches.
func mlpOp() func() {
	tl.ManualSeed(1)
	model := nn.NewSequential(nn.NewLinear(784, 256), nn.ReLU{}, nn.NewLinear(256, 10))
	opt := optim.NewAdam(nn.Parameters(model), optim.AdamOptions{LR: 1e-3})
	xs, ys := batches(4, mlpBatch, []int{784})
	return func() {
		for s := 0; s < mlpSteps; s++ {
			opt.ZeroGrad()
			loss := nn.CrossEntropyLoss(model.Forward(xs[s%len(xs)]), ys[s%len(ys)])
			loss.Backward()
			opt.Step()
		}
	}
}

// cnnOp is one training step of Conv2d(1,16,3) → ReLU → MaxPool2d(2) →
// Linear(16·13·13, 10) with cross-entropy and SGD, batch 64 of 28×28.
func cnnOp() func() {
	tl.ManualSeed(1)
	model := nn.NewSequential(nn.NewConv2d(1, 16, 3), nn.ReLU{}, nn.NewMaxPool2d(2), nn.Flatten{}, nn.NewLinear(16*13*13, 10))
	opt := optim.NewSGD(nn.Parameters(model), 0.01)
	xs, ys := batches(4, cnnBatch, []int{1, 28, 28})
	s := 0
	return func() {
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss(model.Forward(xs[s%len(xs)]), ys[s%len(ys)])
		loss.Backward()
		opt.Step()
		s++
	}
}

// layerNormOp is a LayerNorm(512) forward and backward over 2048 rows
// (a transformer block's normalisation at batch 16, sequence 128).
func layerNormOp() func() {
	tl.ManualSeed(1)
	ln := nn.NewLayerNorm([]int{512})
	x := tl.Randn(2048, 512).SetRequiresGrad(true)
	g := tl.Randn(2048, 512)
	return func() {
		x.SetGrad(nil)
		ln.Forward(x).Mul(g).Sum().Backward()
	}
}

// batchNormOp is a BatchNorm2d(16) training-mode forward and backward
// over the CNN's convolution output (batch 64, 26×26).
func batchNormOp() func() {
	tl.ManualSeed(1)
	bn := nn.NewBatchNorm2d(16)
	x := tl.Randn(64, 16, 26, 26).SetRequiresGrad(true)
	g := tl.Randn(64, 16, 26, 26)
	return func() {
		x.SetGrad(nil)
		bn.Forward(x).Mul(g).Sum().Backward()
	}
}

// convOp is a Conv2d(32, 64, 3, padding=1) forward and backward over a
// batch of 64 14×14 maps (a CNN's second convolution).
func convOp() func() {
	tl.ManualSeed(1)
	c := nn.NewConv2d(32, 64, 3, nn.Conv2dOptions{Padding: []int{1}})
	x := tl.Randn(64, 32, 14, 14).SetRequiresGrad(true)
	g := tl.Randn(64, 64, 14, 14)
	return func() {
		x.SetGrad(nil)
		c.Weight.SetGrad(nil)
		c.Bias.SetGrad(nil)
		c.Forward(x).Mul(g).Sum().Backward()
	}
}

// batches returns n random input batches of the given sample shape and
// their random class labels (10 classes).
func batches(n, batch int, sample []int) (xs, ys []*tl.Tensor) {
	for i := 0; i < n; i++ {
		xs = append(xs, tl.Randn(append([]int{batch}, sample...)...))
		ys = append(ys, tl.RandInt(0, 10, batch))
	}
	return xs, ys
}
