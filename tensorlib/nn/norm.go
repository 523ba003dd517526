package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// LayerNorm normalises its input over the trailing NormalizedShape
// dimensions to zero mean and unit variance, then scales by Weight and
// shifts by Bias (torch.nn.LayerNorm).
type LayerNorm struct {
	Weight *tl.Tensor // NormalizedShape, nil without elementwise affine
	Bias   *tl.Tensor // NormalizedShape, nil without elementwise affine
	// NormalizedShape is the shape of the trailing dimensions normalised.
	NormalizedShape []int
	// Eps is added to the variance for stability.
	Eps float64
}

// LayerNormOptions are LayerNorm's optional settings; the zero value is
// PyTorch's default.
type LayerNormOptions struct {
	// Eps is added to the variance; 0 means PyTorch's default 1e-5.
	Eps float64
	// NoAffine leaves out the learnable weight and bias
	// (elementwise_affine=False).
	NoAffine bool
}

// NewLayerNorm returns a LayerNorm over the trailing dimensions
// normalizedShape (e.g. []int{512}), with weight ones and bias zeros as in
// PyTorch.
func NewLayerNorm(normalizedShape []int, opts ...LayerNormOptions) *LayerNorm {
	o := firstOr(opts)
	for _, d := range normalizedShape {
		if d < 0 {
			panic(&tl.Error{Op: "NewLayerNorm", Msg: "sizes must be non-negative", Shapes: [][]int{normalizedShape}})
		}
	}
	l := &LayerNorm{NormalizedShape: append([]int{}, normalizedShape...), Eps: o.Eps}
	if l.Eps == 0 {
		l.Eps = 1e-5
	}
	if !o.NoAffine {
		l.Weight = tl.Ones(normalizedShape...).SetRequiresGrad(true)
		l.Bias = tl.Zeros(normalizedShape...).SetRequiresGrad(true)
	}
	return l
}

// Forward normalises x, whose trailing dimensions must equal
// NormalizedShape. Its graph node is NativeLayerNormBackward0.
func (l *LayerNorm) Forward(x *tl.Tensor) *tl.Tensor {
	return LayerNormF(x, l.NormalizedShape, l.Weight, l.Bias, l.Eps)
}

// String returns PyTorch's repr of the layer.
func (l *LayerNorm) String() string {
	return fmt.Sprintf("LayerNorm(%s, eps=%v, elementwise_affine=%s)", tupleRepr(l.NormalizedShape), l.Eps, pyBool(l.Weight != nil))
}

// LayerNormF is the functional form of LayerNorm
// (torch.nn.functional.layer_norm); weight and bias may be nil.
func LayerNormF(x *tl.Tensor, normalizedShape []int, weight, bias *tl.Tensor, eps float64) *tl.Tensor {
	const op = "LayerNorm"
	xs := x.Shape()
	k := len(normalizedShape)
	if !x.DType().IsFloat() {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected a floating-point input, got %v", x.DType()), Shapes: [][]int{xs}})
	}
	if k == 0 || len(xs) < k || !sameInts(xs[len(xs)-k:], normalizedShape) {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("given normalized_shape=%v, expected input with shape [*, %v], but got input of size %v", normalizedShape, trimBrackets(normalizedShape), xs), Shapes: [][]int{xs}})
	}
	for _, p := range []*tl.Tensor{weight, bias} {
		if p != nil && !sameInts(p.Shape(), normalizedShape) {
			panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected weight and bias of shape %v", normalizedShape), Shapes: [][]int{xs, p.Shape()}})
		}
	}
	n := 1
	for _, d := range normalizedShape {
		n *= d
	}
	rows := 0
	if n > 0 {
		rows = x.Numel() / n
	}
	var mean, rstd []float64
	return tl.Function{
		Name: "NativeLayerNormBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			xd := in[0].Float64s()
			g, b := optFloats(in[1], n, 1), optFloats(in[2], n, 0)
			mean, rstd = make([]float64, rows), make([]float64, rows)
			out := make([]float64, len(xd))
			for r := 0; r < rows; r++ {
				row := xd[r*n : (r+1)*n]
				m, v := moments(row)
				mean[r], rstd[r] = m, 1/math.Sqrt(v+eps)
				for j, xv := range row {
					out[r*n+j] = (xv-m)*rstd[r]*g[j] + b[j]
				}
			}
			return fromFloat64s(out, in[0].DType(), xs)
		},
		Backward: func(in []*tl.Tensor, _, gout *tl.Tensor) []*tl.Tensor {
			xd, gd := in[0].Float64s(), gout.Float64s()
			g := optFloats(in[1], n, 1)
			dx, dw, db := make([]float64, len(xd)), make([]float64, n), make([]float64, n)
			for r := 0; r < rows; r++ {
				var s1, s2 float64 // sums of dy·γ and dy·γ·x̂
				for j := 0; j < n; j++ {
					i := r*n + j
					xh := (xd[i] - mean[r]) * rstd[r]
					dw[j] += gd[i] * xh
					db[j] += gd[i]
					s1 += gd[i] * g[j]
					s2 += gd[i] * g[j] * xh
				}
				for j := 0; j < n; j++ {
					i := r*n + j
					xh := (xd[i] - mean[r]) * rstd[r]
					dx[i] = rstd[r] * (gd[i]*g[j] - s1/float64(n) - xh*s2/float64(n))
				}
			}
			grads := []*tl.Tensor{fromFloat64s(dx, in[0].DType(), xs), nil, nil}
			if in[1] != nil {
				grads[1] = fromFloat64s(dw, in[1].DType(), normalizedShape)
			}
			if in[2] != nil {
				grads[2] = fromFloat64s(db, in[2].DType(), normalizedShape)
			}
			return grads
		},
	}.Apply(x, weight, bias)
}

// moments returns the mean and the biased variance of v.
func moments(v []float64) (mean, variance float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

// optFloats returns t's values, or n copies of def when t is nil.
func optFloats(t *tl.Tensor, n int, def float64) []float64 {
	if t != nil {
		return t.Float64s()
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = def
	}
	return v
}

// fromFloat64s returns a tensor of dtype dt and the given shape holding v.
func fromFloat64s(v []float64, dt tl.DType, shape []int) *tl.Tensor {
	return tl.FromFloat64s(v, len(v)).To(dt).Reshape(shape...)
}

// BatchNorm1d normalises each channel (dimension 1) of an (N, C) or
// (N, C, L) input over the batch (torch.nn.BatchNorm1d). In training mode
// it uses the batch's statistics and updates the running estimates; in
// evaluation mode it uses the running estimates. Like a PyTorch module it
// starts in training mode.
type BatchNorm1d struct {
	Weight            *tl.Tensor // (C), nil without affine
	Bias              *tl.Tensor // (C), nil without affine
	RunningMean       *tl.Tensor `gt:"running_mean,buffer"`        // (C), nil without running statistics
	RunningVar        *tl.Tensor `gt:"running_var,buffer"`         // (C), nil without running statistics
	NumBatchesTracked *tl.Tensor `gt:"num_batches_tracked,buffer"` // Int64 scalar, nil without running statistics
	NumFeatures       int
	Eps               float64
	// Momentum is the weight of a new batch's statistics in the running
	// estimates; with CumulativeAverage it is ignored (momentum=None).
	Momentum          float64
	CumulativeAverage bool
	eval              bool
}

// BatchNorm2d normalises each channel of an (N, C, H, W) input over the
// batch and the spatial positions (torch.nn.BatchNorm2d). Its fields and
// behaviour are BatchNorm1d's.
type BatchNorm2d BatchNorm1d

// BatchNormOptions are the optional settings of BatchNorm1d and
// BatchNorm2d; the zero value is PyTorch's default.
type BatchNormOptions struct {
	// Eps is added to the variance; 0 means PyTorch's default 1e-5.
	Eps float64
	// Momentum is the running estimates' update weight; 0 means PyTorch's
	// default 0.1.
	Momentum float64
	// CumulativeAverage keeps a cumulative moving average of the batch
	// statistics instead (momentum=None).
	CumulativeAverage bool
	// NoAffine leaves out the learnable weight and bias (affine=False).
	NoAffine bool
	// NoTrackRunningStats keeps no running estimates: the batch statistics
	// are used in evaluation mode too (track_running_stats=False).
	NoTrackRunningStats bool
}

func newBatchNorm(numFeatures int, opts []BatchNormOptions) *BatchNorm1d {
	o := firstOr(opts)
	if numFeatures < 0 {
		panic(&tl.Error{Op: "NewBatchNorm", Msg: fmt.Sprintf("num_features must be non-negative, got %d", numFeatures)})
	}
	b := &BatchNorm1d{NumFeatures: numFeatures, Eps: o.Eps, Momentum: o.Momentum, CumulativeAverage: o.CumulativeAverage}
	if b.Eps == 0 {
		b.Eps = 1e-5
	}
	if b.Momentum == 0 {
		b.Momentum = 0.1
	}
	if !o.NoAffine {
		b.Weight = tl.Ones(numFeatures).SetRequiresGrad(true)
		b.Bias = tl.Zeros(numFeatures).SetRequiresGrad(true)
	}
	if !o.NoTrackRunningStats {
		b.RunningMean = tl.Zeros(numFeatures)
		b.RunningVar = tl.Ones(numFeatures)
		b.NumBatchesTracked = tl.New(tl.Int64)
	}
	return b
}

// NewBatchNorm1d returns a BatchNorm1d over numFeatures channels with
// PyTorch's initial state: weight ones, bias zeros, running mean zeros,
// running variance ones and no batches tracked.
func NewBatchNorm1d(numFeatures int, opts ...BatchNormOptions) *BatchNorm1d {
	return newBatchNorm(numFeatures, opts)
}

// NewBatchNorm2d returns a BatchNorm2d over numFeatures channels, initialised
// as NewBatchNorm1d.
func NewBatchNorm2d(numFeatures int, opts ...BatchNormOptions) *BatchNorm2d {
	return (*BatchNorm2d)(newBatchNorm(numFeatures, opts))
}

// SetTraining switches between training mode (batch statistics, running
// estimates updated) and evaluation mode (running estimates).
func (b *BatchNorm1d) SetTraining(training bool) { b.eval = !training }

// Training reports whether b is in training mode.
func (b *BatchNorm1d) Training() bool { return !b.eval }

// Forward normalises x of shape (N, C) or (N, C, L); its graph node is
// NativeBatchNormBackward0.
func (b *BatchNorm1d) Forward(x *tl.Tensor) *tl.Tensor {
	if d := x.Dim(); d != 2 && d != 3 {
		panic(&tl.Error{Op: "BatchNorm1d", Msg: fmt.Sprintf("expected 2D or 3D input (got %dD input)", d), Shapes: [][]int{x.Shape()}})
	}
	return b.forward("BatchNorm1d", x)
}

// String returns PyTorch's repr of the layer.
func (b *BatchNorm1d) String() string { return b.repr("BatchNorm1d") }

// SetTraining switches between training and evaluation mode.
func (b *BatchNorm2d) SetTraining(training bool) { b.eval = !training }

// Training reports whether b is in training mode.
func (b *BatchNorm2d) Training() bool { return !b.eval }

// Forward normalises x of shape (N, C, H, W); its graph node is
// NativeBatchNormBackward0.
func (b *BatchNorm2d) Forward(x *tl.Tensor) *tl.Tensor {
	if d := x.Dim(); d != 4 {
		panic(&tl.Error{Op: "BatchNorm2d", Msg: fmt.Sprintf("expected 4D input (got %dD input)", d), Shapes: [][]int{x.Shape()}})
	}
	return (*BatchNorm1d)(b).forward("BatchNorm2d", x)
}

// String returns PyTorch's repr of the layer.
func (b *BatchNorm2d) String() string { return (*BatchNorm1d)(b).repr("BatchNorm2d") }

func (b *BatchNorm1d) repr(name string) string {
	mom := fmt.Sprint(b.Momentum)
	if b.CumulativeAverage {
		mom = "None"
	}
	return fmt.Sprintf("%s(%d, eps=%v, momentum=%s, affine=%s, track_running_stats=%s)", name, b.NumFeatures, b.Eps, mom, pyBool(b.Weight != nil), pyBool(b.RunningMean != nil))
}

// forward is BatchNorm's forward pass, as torch.nn.modules.batchnorm's.
func (b *BatchNorm1d) forward(op string, x *tl.Tensor) *tl.Tensor {
	training := !b.eval
	factor := b.Momentum
	if training && b.NumBatchesTracked != nil {
		tl.NoGrad(func() { b.NumBatchesTracked.AddScalarInPlace(1) })
		if b.CumulativeAverage {
			factor = 1 / b.NumBatchesTracked.Item()
		}
	}
	useBatch := training || (b.RunningMean == nil && b.RunningVar == nil)
	var rm, rv *tl.Tensor
	if !training || b.RunningMean != nil {
		rm, rv = b.RunningMean, b.RunningVar
	}
	return batchNorm(op, x, rm, rv, b.Weight, b.Bias, useBatch, factor, b.Eps)
}

// BatchNormF is the functional form of batch normalisation
// (torch.nn.functional.batch_norm) over dimension 1 of x. With training it
// normalises with the batch's statistics and, when runningMean and
// runningVar are set, updates them in place with weight momentum (the
// variance with Bessel's correction); otherwise it normalises with the
// running estimates. weight, bias and the running tensors may be nil; its
// graph node is NativeBatchNormBackward0.
func BatchNormF(x, runningMean, runningVar, weight, bias *tl.Tensor, training bool, momentum, eps float64) *tl.Tensor {
	return batchNorm("BatchNorm", x, runningMean, runningVar, weight, bias, training, momentum, eps)
}

func batchNorm(name string, x, runningMean, runningVar, weight, bias *tl.Tensor, training bool, momentum, eps float64) *tl.Tensor {
	xs := x.Shape()
	if !x.DType().IsFloat() {
		panic(&tl.Error{Op: name, Msg: fmt.Sprintf("expected a floating-point input, got %v", x.DType()), Shapes: [][]int{xs}})
	}
	if len(xs) < 2 {
		panic(&tl.Error{Op: name, Msg: "expected an input with at least 2 dimensions", Shapes: [][]int{xs}})
	}
	n, c := xs[0], xs[1]
	s := 1
	for _, d := range xs[2:] {
		s *= d
	}
	for _, p := range []*tl.Tensor{weight, bias, runningMean, runningVar} {
		if p != nil && (p.Dim() != 1 || p.Numel() != c) {
			panic(&tl.Error{Op: name, Msg: fmt.Sprintf("expected per-channel tensors of shape [%d]", c), Shapes: [][]int{xs, p.Shape()}})
		}
	}
	if !training && (runningMean == nil || runningVar == nil) {
		panic(&tl.Error{Op: name, Msg: "running_mean and running_var must be defined in evaluation mode"})
	}
	count := n * s
	if training && count <= 1 {
		panic(&tl.Error{Op: name, Msg: fmt.Sprintf("Expected more than 1 value per channel when training, got input size %v", xs), Shapes: [][]int{xs}})
	}
	xd := x.Float64s()
	mean, invstd := make([]float64, c), make([]float64, c)
	at := func(ch, i int) float64 { return xd[(i/s)*c*s+ch*s+i%s] }
	if training {
		var newMean, newVar []float64
		if runningMean != nil {
			newMean = runningMean.Float64s()
		}
		if runningVar != nil {
			newVar = runningVar.Float64s()
		}
		for ch := 0; ch < c; ch++ {
			m, varSum := batchStats(x.DType(), count, func(i int) float64 { return at(ch, i) })
			mean[ch] = m
			invstd[ch] = 1 / math.Sqrt(varSum/float64(count)+eps)
			if newMean != nil {
				newMean[ch] = momentum*m + (1-momentum)*newMean[ch]
			}
			if newVar != nil {
				newVar[ch] = momentum*(varSum/float64(count-1)) + (1-momentum)*newVar[ch]
			}
		}
		tl.NoGrad(func() {
			if runningMean != nil {
				runningMean.CopyInPlace(tl.FromFloat64s(newMean, c))
			}
			if runningVar != nil {
				runningVar.CopyInPlace(tl.FromFloat64s(newVar, c))
			}
		})
	} else {
		mean = runningMean.Float64s()
		rv := runningVar.Float64s()
		for ch := range invstd {
			invstd[ch] = 1 / math.Sqrt(rv[ch]+eps)
		}
	}
	return tl.Function{
		Name: "NativeBatchNormBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			w, bb := optFloats(in[1], c, 1), optFloats(in[2], c, 0)
			out := make([]float64, len(xd))
			for i, v := range xd {
				ch := (i / s) % c
				out[i] = (v-mean[ch])*invstd[ch]*w[ch] + bb[ch]
			}
			return fromFloat64s(out, in[0].DType(), xs)
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			gd := g.Float64s()
			w := optFloats(in[1], c, 1)
			sum, dot := make([]float64, c), make([]float64, c) // Σdy and Σdy·(x-mean) per channel
			for i, v := range xd {
				ch := (i / s) % c
				sum[ch] += gd[i]
				dot[ch] += gd[i] * (v - mean[ch])
			}
			dx := make([]float64, len(xd))
			for i, v := range xd {
				ch := (i / s) % c
				if training {
					k := dot[ch] * invstd[ch] * invstd[ch] / float64(count)
					dx[i] = (gd[i] - sum[ch]/float64(count) - (v-mean[ch])*k) * invstd[ch] * w[ch]
				} else {
					dx[i] = gd[i] * invstd[ch] * w[ch]
				}
			}
			grads := []*tl.Tensor{fromFloat64s(dx, in[0].DType(), xs), nil, nil}
			if in[1] != nil {
				dw := make([]float64, c)
				for ch := range dw {
					dw[ch] = dot[ch] * invstd[ch]
				}
				grads[1] = fromFloat64s(dw, in[1].DType(), []int{c})
			}
			if in[2] != nil {
				grads[2] = fromFloat64s(sum, in[2].DType(), []int{c})
			}
			return grads
		},
	}.Apply(x, weight, bias)
}

// batchStats returns a channel's mean and sum of squared deviations as
// PyTorch's CPU kernel computes them: sums in double, the mean rounded to
// the input's dtype and the squared deviations computed in it.
func batchStats(dt tl.DType, count int, at func(i int) float64) (mean, varSum float64) {
	sum := 0.0
	for i := 0; i < count; i++ {
		sum += at(i)
	}
	if dt == tl.Float32 {
		m := float32(sum / float64(count))
		for i := 0; i < count; i++ {
			d := float32(at(i)) - m
			varSum += float64(d * d)
		}
		return float64(m), float64(float32(varSum))
	}
	mean = sum / float64(count)
	for i := 0; i < count; i++ {
		d := at(i) - mean
		varSum += d * d
	}
	return mean, varSum
}

// tupleRepr formats a shape as a Python tuple: (3,) or (2, 3).
func tupleRepr(s []int) string {
	if len(s) == 1 {
		return fmt.Sprintf("(%d,)", s[0])
	}
	return "(" + trimBrackets(s) + ")"
}

// trimBrackets formats s as "2, 3".
func trimBrackets(s []int) string {
	r := ""
	for i, v := range s {
		if i > 0 {
			r += ", "
		}
		r += fmt.Sprint(v)
	}
	return r
}

// pyBool formats b as Python does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
