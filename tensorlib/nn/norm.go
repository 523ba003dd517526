package nn

import (
	"fmt"

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
	return tl.LayerNorm(x, l.NormalizedShape, l.Weight, l.Bias, l.Eps)
}

// String returns PyTorch's repr of the layer.
func (l *LayerNorm) String() string {
	return fmt.Sprintf("LayerNorm(%s, eps=%v, elementwise_affine=%s)", tupleRepr(l.NormalizedShape), l.Eps, pyBool(l.Weight != nil))
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
	return tl.BatchNorm(x, rm, rv, b.Weight, b.Bias, useBatch, factor, b.Eps)
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
