// Package optim provides optimizers (SGD, Adam, AdamW, RMSprop, Adagrad),
// learning-rate schedulers and gradient clipping in the shape of
// torch.optim, built only from tensorlib's public API.
//
// The optimizers follow PyTorch 1.13's single-tensor (foreach=False)
// implementations op for op in the parameters' dtype, so a training run
// gives PyTorch's numbers:
//
//	opt := optim.NewSGD(nn.Parameters(model), 0.01, optim.SGDOptions{Momentum: 0.9})
//	for epoch := 0; epoch < 100; epoch++ {
//		opt.ZeroGrad()
//		loss := lossFn(model.Forward(x), y)
//		loss.Backward()
//		opt.Step()
//	}
//
// Step updates the parameters in place under tl.NoGrad and skips parameters
// whose Grad is nil. Required settings are arguments and optional ones a
// trailing options struct whose zero value means PyTorch's defaults
// (SGDOptions{}, AdamOptions{LR: 0.01}, …): a zero LR, Eps, Alpha or
// Betas means the default. Where zero is a sensible choice but not the
// default (ReduceLROnPlateau's Patience and Threshold) the field is a
// pointer, set with Int and Float: PlateauOptions{Patience: optim.Int(0)}.
// A group's Hyper (below) can set any value, zero included.
//
// # Parameter groups
//
// Every optimizer keeps its parameters in groups, each with its own
// hyper-parameters under PyTorch's names ("lr", "momentum", "weight_decay",
// "betas", …) in a Hyper map. The …Groups constructors take groups whose
// Hyper overrides the optimizer's defaults, as PyTorch's per-group dicts do:
//
//	opt := optim.NewSGDGroups([]optim.ParamGroup{
//		{Params: weights},
//		{Params: biases, Hyper: optim.Hyper{"weight_decay": 0, "lr": 0.02}},
//	}, 0.01, optim.SGDOptions{Momentum: 0.9, WeightDecay: 1e-4})
//
// ParamGroups returns the live groups: schedulers (and users) change a
// group's learning rate with SetLR or any hyper-parameter with Set, and the
// next Step uses it.
//
// # State dicts
//
// StateDict returns the optimizer's state in PyTorch's layout: each group's
// hyper-parameters with the indices of its parameters (numbered across all
// groups in order), and each parameter's state tensors keyed by that index
// ("momentum_buffer", "exp_avg", "exp_avg_sq", "step", …). Unlike PyTorch's,
// it is a snapshot (the tensors are copies). It marshals to JSON
// (encoding/json), and LoadStateDict restores it into an optimizer built over
// the same parameters, so training resumes exactly; dicts exported from
// PyTorch in the same JSON layout load too.
//
// # Schedulers
//
// A Scheduler (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
// LinearLR, ConstantLR, PolynomialLR, LambdaLR, OneCycleLR, SequentialLR,
// ChainedScheduler) sets the groups' learning rates with PyTorch's
// recursive (chainable) formulas; call its Step after the optimizer's.
// ReduceLROnPlateau steps on a metric: StepMetric(loss). Linear warm-up then
// cosine annealing is a SequentialLR of a LinearLR and a CosineAnnealingLR:
//
//	warm := optim.NewLinearLR(opt, 0.01, 1, 5)
//	cos := optim.NewCosineAnnealingLR(opt, 95)
//	sched := optim.NewSequentialLR(opt, []optim.Scheduler{warm, cos}, []int{5})
//
// # Clipping
//
// ClipGradNorm and ClipGradValue are torch.nn.utils.clip_grad_norm_ and
// clip_grad_value_; ClipGradNorm computes the norms in float32 in the order
// PyTorch's CPU kernels do.
//
// # Numerics
//
// Updates are compositions of tensorlib ops in PyTorch's operation order,
// in the parameters' dtype. PyTorch 1.13's CPU kernels (Debian's AVX2
// build, which wrote the golden files) round a.add(b, alpha=α) and
// addcmul's a + (v·b)·c once, as fused multiply-adds; for float32 the
// optimizers do the same through tensorlib's fused in-place ops
// (AddScaledInPlace, AddcmulInPlace, AddcdivInPlace: one pass each, no
// temporaries), so Adam, AdamW, RMSprop and Adagrad reproduce PyTorch's
// float32 parameters and state bit for bit. SGD's final update
// p.add_(d, alpha=-lr) is the exception: it is p + float32(-lr)·d rounded
// twice, p.AddInPlace(d.MulScalar(-lr)), the formula that reproduces the
// reference walkthrough's output (PyTorch builds differ here, and this one
// fuses it), so SGD agrees with it to about 1e-6 relative after 20 steps.
// Float64 parameters are updated unfused (about 1e-13 relative).
package optim
