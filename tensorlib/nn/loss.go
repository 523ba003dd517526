package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Losses in the shape of torch.nn.functional's: each takes the input and the
// target and an optional options struct whose zero value is PyTorch's
// default (reduction "mean", ignore_index -100, no weights). Fused losses
// are tl.Functions whose graph nodes carry PyTorch's names
// (MseLossBackward0, NllLossBackward0, …) and whose forward and backward
// follow PyTorch's CPU kernels operation by operation.
//
// Unlike PyTorch, the elementwise losses (MSELoss, L1Loss, SmoothL1Loss,
// BCELoss, BCEWithLogitsLoss) require input and target of the same shape:
// PyTorch broadcasts them with only a warning, which silently turns an
// (N, 1) input and an (N) target into an (N, N) loss.

// Reduction selects how a loss reduces its elementwise values. The zero
// value, Mean, is PyTorch's default.
type Reduction int

const (
	Mean Reduction = iota // the mean over the elements (reduction='mean')
	Sum                   // the sum of the elements (reduction='sum')
	None                  // no reduction: one value per element (reduction='none')
)

// String returns PyTorch's name of the reduction.
func (r Reduction) String() string {
	switch r {
	case Mean:
		return "mean"
	case Sum:
		return "sum"
	case None:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// LossOptions are the settings of losses that only have a reduction.
type LossOptions struct {
	Reduction Reduction
}

// SmoothL1Options are SmoothL1Loss's settings.
type SmoothL1Options struct {
	Reduction Reduction
	// Beta is where the loss changes from quadratic to linear; 0 means
	// PyTorch's default 1.0 (for beta 0, use L1Loss).
	Beta float64
}

// NLLOptions are NLLLoss's settings.
type NLLOptions struct {
	// Weight, if set, is a 1-D tensor of one weight per class.
	Weight *tl.Tensor
	// IgnoreIndex is a target value that contributes neither to the loss
	// nor to the mean's denominator; nil means PyTorch's default -100. Set
	// it with nn.Index(i).
	IgnoreIndex *int
	Reduction   Reduction
}

// CrossEntropyOptions are CrossEntropyLoss's settings.
type CrossEntropyOptions struct {
	// Weight, if set, is a 1-D tensor of one weight per class.
	Weight *tl.Tensor
	// IgnoreIndex is a target class that contributes neither to the loss
	// nor to the mean's denominator; nil means PyTorch's default -100. Set
	// it with nn.Index(i). Only class-index targets support it.
	IgnoreIndex *int
	Reduction   Reduction
	// LabelSmoothing in [0, 1] mixes the target with the uniform
	// distribution over classes.
	LabelSmoothing float64
}

// BCEOptions are BCELoss's settings.
type BCEOptions struct {
	// Weight, if set, rescales each element's loss; it must broadcast to
	// the input's shape.
	Weight    *tl.Tensor
	Reduction Reduction
}

// BCEWithLogitsOptions are BCEWithLogitsLoss's settings.
type BCEWithLogitsOptions struct {
	// Weight, if set, rescales each element's loss; it must broadcast to
	// the input's shape.
	Weight *tl.Tensor
	// PosWeight, if set, weighs the positive term of each class; it must
	// broadcast to the target's shape (usually one value per class).
	PosWeight *tl.Tensor
	Reduction Reduction
}

// Index returns a pointer to i, for the optional index settings
// CrossEntropyOptions.IgnoreIndex, NLLOptions.IgnoreIndex and
// EmbeddingOptions.PaddingIdx, whose nil value means PyTorch's default.
func Index(i int) *int { return &i }

// defaultIgnoreIndex is PyTorch's ignore_index default.
const defaultIgnoreIndex = -100

func ignoreIndex(p *int) int64 {
	if p == nil {
		return defaultIgnoreIndex
	}
	return int64(*p)
}

func firstOr[T any](opts []T) T {
	var o T
	if len(opts) > 0 {
		o = opts[0]
	}
	return o
}

// reduce applies r to the elementwise losses l.
func reduce(l *tl.Tensor, r Reduction) *tl.Tensor {
	switch r {
	case Mean:
		return l.Mean()
	case Sum:
		return l.Sum()
	case None:
		return l
	}
	panic(&tl.Error{Op: "loss", Msg: fmt.Sprintf("invalid reduction %d", int(r))})
}

// lossFail panics with a *tl.Error for the loss op.
func lossFail(op string, shapes [][]int, format string, args ...any) {
	panic(&tl.Error{Op: op, Msg: fmt.Sprintf(format, args...), Shapes: shapes})
}

// checkPair panics unless input and target are floating-point tensors of
// the same shape.
func checkPair(op string, input, target *tl.Tensor) {
	if !input.DType().IsFloat() || !target.DType().IsFloat() {
		lossFail(op, [][]int{input.Shape(), target.Shape()}, "expected floating-point input and target, got %v and %v", input.DType(), target.DType())
	}
	if !sameInts(input.Shape(), target.Shape()) {
		lossFail(op, [][]int{input.Shape(), target.Shape()}, "target size %v must be the same as input size %v (reshape one of them; PyTorch would broadcast them with a warning)", target.Shape(), input.Shape())
	}
}

// checkReduction panics for a Reduction outside Mean, Sum and None.
func checkReduction(op string, r Reduction) {
	if r != Mean && r != Sum && r != None {
		lossFail(op, nil, "invalid reduction %d", int(r))
	}
}

// MSELoss returns the mean squared error between input and target
// (torch.nn.functional.mse_loss). Its forward and gradient are computed as
// PyTorch's, so with the Mean reduction the loss and gradients are bit for
// bit those of input.Sub(target).Pow(2).Mean() and of PyTorch.
func MSELoss(input, target *tl.Tensor, opts ...LossOptions) *tl.Tensor {
	o := firstOr(opts)
	checkPair("MSELoss", input, target)
	checkReduction("MSELoss", o.Reduction)
	norm := 2.0
	if o.Reduction == Mean {
		norm = 2 / float64(input.Numel())
	}
	return tl.Function{
		Name: "MseLossBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			d := in[0].Sub(in[1])
			return reduce(d.Mul(d), o.Reduction)
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			// PyTorch's mse_backward kernel: norm * (x - y) * grad.
			grads := make([]*tl.Tensor, 2)
			if in[0].RequiresGrad() {
				grads[0] = in[0].Sub(in[1]).MulScalar(norm).Mul(g)
			}
			if in[1].RequiresGrad() {
				grads[1] = in[1].Sub(in[0]).MulScalar(norm).Mul(g)
			}
			return grads
		},
	}.Apply(input, target)
}

// L1Loss returns the mean absolute error between input and target
// (torch.nn.functional.l1_loss). Like PyTorch 1.13 it is a composition,
// |input - target| reduced, so its graph ends in AbsBackward0,
// MeanBackward0 or SumBackward0.
func L1Loss(input, target *tl.Tensor, opts ...LossOptions) *tl.Tensor {
	o := firstOr(opts)
	checkPair("L1Loss", input, target)
	checkReduction("L1Loss", o.Reduction)
	return reduce(input.Sub(target).Abs(), o.Reduction)
}

// SmoothL1Loss returns the Huber-like smooth L1 loss
// (torch.nn.functional.smooth_l1_loss): 0.5·d²/beta where |d| < beta and
// |d| - 0.5·beta elsewhere, for d = input - target.
func SmoothL1Loss(input, target *tl.Tensor, opts ...SmoothL1Options) *tl.Tensor {
	o := firstOr(opts)
	checkPair("SmoothL1Loss", input, target)
	checkReduction("SmoothL1Loss", o.Reduction)
	beta := o.Beta
	if beta == 0 {
		beta = 1
	}
	if beta < 0 {
		lossFail("SmoothL1Loss", nil, "smooth_l1_loss does not support negative values for beta")
	}
	n := input.Numel()
	return tl.Function{
		Name: "SmoothL1LossBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			z := in[0].Sub(in[1]).Abs()
			quad := z.MulScalar(0.5).Mul(z).DivScalar(beta)
			lin := z.SubScalar(0.5 * beta)
			return reduce(tl.Where(z.LtScalar(beta), quad, lin), o.Reduction)
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			// PyTorch's smooth_l1_backward kernel: ±norm·grad outside
			// (-beta, beta), norm·x·grad/beta inside.
			norm := 1.0
			if o.Reduction == Mean {
				norm = 1 / float64(n)
			}
			d := in[0].Sub(in[1])
			ng := g.MulScalar(norm)
			inside := d.MulScalar(norm).Mul(g).DivScalar(beta)
			gi := tl.Where(d.LeScalar(-beta), ng.Neg().ExpandAs(d), tl.Where(d.GeScalar(beta), ng.ExpandAs(d), inside))
			grads := make([]*tl.Tensor, 2)
			if in[0].RequiresGrad() {
				grads[0] = gi
			}
			if in[1].RequiresGrad() {
				grads[1] = gi.Neg()
			}
			return grads
		},
	}.Apply(input, target)
}

// NLLLoss returns the negative log likelihood loss
// (torch.nn.functional.nll_loss) of log-probabilities input, of shape (C),
// (N, C) or (N, C, d1, …), for class-index targets (Int64) of shape (),
// (N) or (N, d1, …). Its graph node is NllLossBackward0 for inputs of up
// to two dimensions and NllLoss2DBackward0 beyond, as PyTorch's.
func NLLLoss(input, target *tl.Tensor, opts ...NLLOptions) *tl.Tensor {
	o := firstOr(opts)
	return nllLoss("NLLLoss", input, target, o.Weight, ignoreIndex(o.IgnoreIndex), o.Reduction)
}

// nllGeometry checks NLLLoss's shapes and returns the batch size, the
// number of classes and the number of positions per sample.
func nllGeometry(op string, input, target *tl.Tensor) (n, c, s int) {
	is, ts := input.Shape(), target.Shape()
	shapes := [][]int{is, ts}
	if !input.DType().IsFloat() {
		lossFail(op, shapes, "expected a floating-point input, got %v", input.DType())
	}
	if target.DType() != tl.Int64 {
		lossFail(op, shapes, "expected an Int64 target of class indices, got %v", target.DType())
	}
	switch len(is) {
	case 0:
		lossFail(op, shapes, "input tensor should be 1D or more")
	case 1:
		if len(ts) != 0 {
			lossFail(op, shapes, "for a 1-D input the target must be 0-D, got %d-D", len(ts))
		}
		return 1, is[0], 1
	}
	if len(ts) != len(is)-1 || ts[0] != is[0] || !sameInts(ts[1:], is[2:]) {
		lossFail(op, shapes, "expected target of shape %v for input of shape %v", append([]int{is[0]}, is[2:]...), is)
	}
	s = 1
	for _, d := range is[2:] {
		s *= d
	}
	return is[0], is[1], s
}

func nllLoss(op string, input, target, weight *tl.Tensor, ignore int64, r Reduction) *tl.Tensor {
	checkReduction(op, r)
	n, c, s := nllGeometry(op, input, target)
	if weight != nil && (weight.Dim() != 1 || weight.Numel() != c) {
		lossFail(op, [][]int{input.Shape(), weight.Shape()}, "weight tensor should be defined either for all %d classes or no classes but got weight tensor of shape: %v", c, weight.Shape())
	}
	tgt := target.Int64s()
	for _, t := range tgt {
		if t != ignore && (t < 0 || t >= int64(c)) {
			lossFail(op, [][]int{input.Shape(), target.Shape()}, "Target %d is out of bounds.", t)
		}
	}
	name := "NllLossBackward0"
	if input.Dim() > 2 {
		name = "NllLoss2DBackward0"
	}
	var totalWeight float64
	out := tl.Function{
		Name: name,
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			x := in[0]
			var res *tl.Tensor
			if x.DType() == tl.Float32 {
				res, totalWeight = nllForward[float32](x, weight, tgt, n, c, s, ignore, r)
			} else {
				res, totalWeight = nllForward[float64](x, weight, tgt, n, c, s, ignore, r)
			}
			return res
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			x := in[0]
			if x.DType() == tl.Float32 {
				return []*tl.Tensor{nllBackward[float32](x, weight, g, tgt, c, s, ignore, r, totalWeight)}
			}
			return []*tl.Tensor{nllBackward[float64](x, weight, g, tgt, c, s, ignore, r, totalWeight)}
		},
	}.Apply(input)
	if r == None && input.Dim() > 2 && input.Dim() != 4 {
		// PyTorch runs these shapes through nll_loss2d on a view and views
		// the result back.
		sh := append([]int{n}, input.Shape()[2:]...)
		return out.Reshape(n, 1, s).View(sh...)
	}
	return out
}

// nllForward is PyTorch's nll_loss / nll_loss2d forward: per-position
// losses for None, otherwise the cascade sum of the selected (weighted)
// log-probabilities in position order. It returns the loss and the total
// weight (the mean's denominator).
func nllForward[T float](x, weight *tl.Tensor, tgt []int64, n, c, s int, ignore int64, r Reduction) (*tl.Tensor, float64) {
	xd := floatsOf[T](x)
	var w []T
	if weight != nil {
		w = floatsOf[T](weight)
	}
	at := func(i int) T { // log-probability of sample i's target
		b, p := i/s, i%s
		return xd[b*c*s+int(tgt[i])*s+p]
	}
	if r == None {
		out := make([]T, n*s)
		for i, t := range tgt {
			if t == ignore {
				continue
			}
			wt := T(1)
			if w != nil {
				wt = w[t]
			}
			out[i] = -at(i) * wt
		}
		var shape []int // 0-D for a 1-D input
		if x.Dim() > 1 {
			shape = append([]int{n}, x.Shape()[2:]...)
		}
		return tensorOf(out, shape), 0
	}
	const levels = 8
	numIter := n * s
	levelPower := max(4, ceilLog2(numIter)/levels)
	levelMask := 1<<levelPower - 1
	var wsum, lsum [levels]T
	ignored := 0
	for i, t := range tgt {
		if t == ignore {
			ignored++
			continue
		}
		d := at(i)
		if w != nil {
			lsum[0] -= d * w[t]
			wsum[0] += w[t]
		} else {
			lsum[0] -= d
		}
		for j := 0; j+1 < levels; j++ {
			if i&(levelMask<<(j*levelPower)) != 0 {
				break
			}
			wsum[j+1] += wsum[j]
			lsum[j+1] += lsum[j]
			wsum[j], lsum[j] = 0, 0
		}
	}
	var total, loss T
	if w == nil {
		total = T(numIter - ignored)
	} else {
		for _, v := range wsum {
			total += v
		}
	}
	for _, v := range lsum {
		loss += v
	}
	if r == Mean {
		loss /= total
	}
	return tensorOf([]T{loss}, nil), float64(total)
}

// nllBackward is PyTorch's nll_loss backward: the only non-zero entries are
// at the targets, -weight·grad (divided by the total weight for Mean).
func nllBackward[T float](x, weight, g *tl.Tensor, tgt []int64, c, s int, ignore int64, r Reduction, total float64) *tl.Tensor {
	gd := floatsOf[T](g)
	var w []T
	if weight != nil {
		w = floatsOf[T](weight)
	}
	out := make([]T, x.Numel())
	var grad T
	if r != None {
		grad = gd[0]
		if r == Mean {
			grad = -(grad / T(total))
		} else {
			grad = -grad
		}
	}
	for i, t := range tgt {
		if t == ignore {
			continue
		}
		b, p := i/s, i%s
		pos := b*c*s + int(t)*s + p
		if r == None {
			wt := T(1)
			if w != nil {
				wt = w[t]
			}
			out[pos] = -wt * gd[i]
		} else if w != nil {
			out[pos] = w[t] * grad
		} else {
			out[pos] = grad
		}
	}
	return tensorOf(out, x.Shape())
}

// CrossEntropyLoss returns the cross entropy between the logits input and
// target (torch.nn.functional.cross_entropy). The input has the classes in
// dimension 1 ((N, C) or (N, C, d1, …)), or is a single (C) vector. A target
// of the input's shape holds class probabilities; otherwise it holds Int64
// class indices of shape (N) or (N, d1, …) (() for a (C) input). With class
// indices and no label smoothing it is NLLLoss of the input's LogSoftmax, as
// in PyTorch.
func CrossEntropyLoss(input, target *tl.Tensor, opts ...CrossEntropyOptions) *tl.Tensor {
	o := firstOr(opts)
	const op = "CrossEntropyLoss"
	checkReduction(op, o.Reduction)
	if input.Dim() == 0 {
		lossFail(op, [][]int{input.Shape(), target.Shape()}, "input tensor should be 1D or more")
	}
	if !input.DType().IsFloat() {
		lossFail(op, [][]int{input.Shape()}, "expected a floating-point input, got %v", input.DType())
	}
	ls := o.LabelSmoothing
	if ls < 0 || ls > 1 {
		lossFail(op, nil, "label_smoothing must be between 0.0 and 1.0. Got: %v", ls)
	}
	classDim := 1
	if input.Dim() == 1 {
		classDim = 0
	}
	nClasses := input.Shape()[classDim]
	ignore := ignoreIndex(o.IgnoreIndex)
	logp := input.LogSoftmax(classDim)
	// weightView is the class weights broadcastable against the input.
	weightView := func() *tl.Tensor {
		if o.Weight == nil {
			return nil
		}
		if o.Weight.Dim() != 1 || o.Weight.Numel() != nClasses {
			lossFail(op, [][]int{input.Shape(), o.Weight.Shape()}, "weight tensor should be defined either for all %d classes or no classes but got weight tensor of shape: %v", nClasses, o.Weight.Shape())
		}
		shape := make([]int, input.Dim())
		for i := range shape {
			shape[i] = 1
		}
		shape[classDim] = nClasses
		return o.Weight.Reshape(shape...)
	}
	if sameInts(input.Shape(), target.Shape()) {
		// Class probabilities.
		if !target.DType().IsFloat() {
			lossFail(op, [][]int{input.Shape(), target.Shape()}, "expected floating point type for target with class probabilities, got %v", target.DType())
		}
		if ignore >= 0 {
			lossFail(op, nil, "ignore_index is not supported for floating point target")
		}
		t := target
		if ls > 0 {
			t = target.MulScalar(1 - ls).AddScalar(ls / float64(nClasses))
		}
		prod := logp.Mul(t)
		if w := weightView(); w != nil {
			prod = prod.Mul(w)
		}
		switch o.Reduction {
		case Mean:
			return prod.Sum().Neg().DivScalar(float64(input.Numel() / nClasses))
		case Sum:
			return prod.Sum().Neg()
		default:
			return prod.SumDim(classDim, false).Neg()
		}
	}
	nll := nllLoss(op, logp, target, o.Weight, ignore, o.Reduction)
	if ls == 0 {
		return nll
	}
	// Label smoothing, as PyTorch's cross_entropy_loss_label_smoothing.
	var smooth *tl.Tensor
	if w := weightView(); w != nil {
		smooth = logp.Mul(w).SumDim(classDim, false).Neg()
	} else {
		smooth = logp.SumDim(classDim, false).Neg()
	}
	ignoreMask := target.EqScalar(float64(ignore))
	smooth = smooth.MaskedFill(ignoreMask, 0)
	var ret *tl.Tensor
	switch o.Reduction {
	case Mean:
		var kept []int64
		for _, t := range target.Int64s() {
			if t != ignore {
				kept = append(kept, t)
			}
		}
		if o.Weight != nil {
			ret = smooth.Sum().Div(o.Weight.IndexSelect(0, tl.FromInt64s(kept, len(kept))).Sum())
		} else {
			ret = smooth.Sum().DivScalar(float64(len(kept)))
		}
	case Sum:
		ret = smooth.Sum()
	default:
		ret = smooth
	}
	return nll.MulScalar(1 - ls).Add(ret.MulScalar(ls / float64(nClasses)))
}

// BCELoss returns the binary cross entropy between probabilities input and
// target (torch.nn.functional.binary_cross_entropy); the logarithms are
// clamped at -100 as PyTorch does. Input values must lie in [0, 1].
func BCELoss(input, target *tl.Tensor, opts ...BCEOptions) *tl.Tensor {
	o := firstOr(opts)
	const op = "BCELoss"
	checkPair(op, input, target)
	checkReduction(op, o.Reduction)
	checkWeight(op, o.Weight, input)
	n := input.Numel()
	return tl.Function{
		Name: "BinaryCrossEntropyBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			var l *tl.Tensor
			if in[0].DType() == tl.Float32 {
				l = bceKernel[float32](in[0], in[1])
			} else {
				l = bceKernel[float64](in[0], in[1])
			}
			if o.Weight != nil {
				l = l.Mul(o.Weight)
			}
			return reduce(l, o.Reduction)
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			x, y := in[0], in[1]
			grads := make([]*tl.Tensor, 2)
			if x.RequiresGrad() {
				// grad·(x - y) / max((1 - x)·x, ε), PyTorch's kernel, whose
				// ε is the float 1e-12 for both dtypes.
				den := x.Neg().AddScalar(1).Mul(x).Clamp(float64(float32(1e-12)), math.Inf(1))
				gi := g.ExpandAs(x).Mul(x.Sub(y)).Div(den)
				grads[0] = finishBCEGrad(gi, o.Weight, o.Reduction, n)
			}
			if y.RequiresGrad() {
				// -logit(x)·grad, PyTorch's binary_cross_entropy_target_backward.
				logit := x.Div(x.Neg().AddScalar(1)).Log()
				grads[1] = finishBCEGrad(logit.Neg().Mul(g), o.Weight, o.Reduction, n)
			}
			return grads
		},
	}.Apply(input, target)
}

// finishBCEGrad applies the weight and the mean's division to a BCE
// gradient.
func finishBCEGrad(gi, weight *tl.Tensor, r Reduction, n int) *tl.Tensor {
	if weight != nil {
		gi = gi.Mul(weight)
	}
	if r == Mean {
		gi = gi.DivScalar(float64(n))
	}
	return gi
}

// bceKernel is PyTorch's binary_cross_entropy CPU kernel:
// (y - 1)·max(log1p(-x), -100) - y·max(log(x), -100).
func bceKernel[T float](x, y *tl.Tensor) *tl.Tensor {
	xd, yd := floatsOf[T](x), floatsOf[T](y)
	out := make([]T, len(xd))
	for i, xv := range xd {
		yv := yd[i]
		if !(xv >= 0 && xv <= 1) {
			lossFail("BCELoss", [][]int{x.Shape()}, "all elements of input should be between 0 and 1")
		}
		if !(yv >= 0 && yv <= 1) {
			lossFail("BCELoss", [][]int{y.Shape()}, "all elements of target should be between 0 and 1")
		}
		l1 := max(T(math.Log1p(-float64(xv))), -100)
		l0 := max(T(math.Log(float64(xv))), -100)
		out[i] = (yv-1)*l1 - yv*l0
	}
	return tensorOf(out, x.Shape())
}

// checkWeight panics unless w (if set) is a float tensor broadcastable to
// x's shape.
func checkWeight(op string, w, x *tl.Tensor) {
	if w == nil {
		return
	}
	if !w.DType().IsFloat() {
		lossFail(op, [][]int{x.Shape(), w.Shape()}, "expected a floating-point weight, got %v", w.DType())
	}
	ws, xs := w.Shape(), x.Shape()
	ok := len(ws) <= len(xs)
	for i := 1; ok && i <= len(ws); i++ {
		a, b := ws[len(ws)-i], xs[len(xs)-i]
		ok = a == b || a == 1
	}
	if !ok {
		lossFail(op, [][]int{xs, ws}, "weight of shape %v does not broadcast to the input's shape %v", ws, xs)
	}
}

// BCEWithLogitsLoss returns the binary cross entropy of sigmoid(input) and
// target computed stably from the logits
// (torch.nn.functional.binary_cross_entropy_with_logits).
func BCEWithLogitsLoss(input, target *tl.Tensor, opts ...BCEWithLogitsOptions) *tl.Tensor {
	o := firstOr(opts)
	const op = "BCEWithLogitsLoss"
	checkPair(op, input, target)
	checkReduction(op, o.Reduction)
	checkWeight(op, o.Weight, input)
	checkWeight(op, o.PosWeight, target)
	n := input.Numel()
	pw := o.PosWeight
	return tl.Function{
		Name: "BinaryCrossEntropyWithLogitsBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			// PyTorch's composition, operation by operation.
			x, y := in[0], in[1]
			maxVal := x.Neg().Clamp(0, math.Inf(1))
			logTerm := maxVal.Neg().Exp().Add(x.Neg().Sub(maxVal).Exp()).Log()
			var l *tl.Tensor
			if pw != nil {
				logWeight := pw.SubScalar(1).Mul(y).AddScalar(1)
				l = y.Neg().AddScalar(1).Mul(x).Add(logWeight.Mul(logTerm.Add(maxVal)))
			} else {
				l = y.Neg().AddScalar(1).Mul(x).Add(maxVal).Add(logTerm)
			}
			if o.Weight != nil {
				l = l.Mul(o.Weight)
			}
			return reduce(l, o.Reduction)
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			x, y := in[0], in[1]
			grads := make([]*tl.Tensor, 2)
			if x.RequiresGrad() {
				var gi *tl.Tensor
				if pw != nil {
					t := pw.Mul(y)
					gi = t.AddScalar(1).Sub(y).Mul(x.Sigmoid()).Sub(t).Mul(g)
				} else {
					gi = x.Sigmoid().Sub(y).Mul(g)
				}
				grads[0] = finishBCEGrad(gi, o.Weight, o.Reduction, n)
			}
			if y.RequiresGrad() {
				var gt *tl.Tensor
				if pw != nil {
					gt = logSigmoid(x.Neg()).Sub(logSigmoid(x).Mul(pw)).Mul(g)
				} else {
					gt = x.Neg().Mul(g)
				}
				grads[1] = finishBCEGrad(gt, o.Weight, o.Reduction, n)
			}
			return grads
		},
	}.Apply(input, target)
}

// logSigmoid returns log(sigmoid(x)) computed stably (no gradient).
func logSigmoid(x *tl.Tensor) *tl.Tensor {
	return mapFloats(x, func(v float64) float64 {
		return math.Min(v, 0) - math.Log1p(math.Exp(-math.Abs(v)))
	})
}

// Helpers shared by the fused kernels of this package. They read tensors
// through tensorlib's public API (a copy of the values) and build results
// of the input's dtype.

// float is the element type of a floating-point kernel.
type float interface{ float32 | float64 }

// floatsOf returns t's values in row-major order as []T.
func floatsOf[T float](t *tl.Tensor) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(t.Float32s()).([]T)
	}
	return any(t.Float64s()).([]T)
}

// tensorOf returns a tensor holding v with the given shape (0-D when shape
// is empty).
func tensorOf[T float](v []T, shape []int) *tl.Tensor {
	var t *tl.Tensor
	switch d := any(v).(type) {
	case []float32:
		t = tl.FromFloat32s(d, len(d))
	case []float64:
		t = tl.FromFloat64s(d, len(d))
	}
	if shape == nil {
		shape = []int{}
	}
	return t.Reshape(shape...)
}

// mapFloats applies f to every element of the float tensor x in float64,
// giving a tensor of x's dtype and shape (no gradient).
func mapFloats(x *tl.Tensor, f func(float64) float64) *tl.Tensor {
	v := x.Float64s()
	for i := range v {
		v[i] = f(v[i])
	}
	return tl.FromFloat64s(v, len(v)).To(x.DType()).Reshape(x.Shape()...)
}

// ceilLog2 is c10::utils::CeilLog2.
func ceilLog2(x int) int {
	if x <= 2 {
		return 1
	}
	n := 0
	for v := uint64(x - 1); v != 0; v >>= 1 {
		n++
	}
	return n
}
