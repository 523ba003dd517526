package nn

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

// Dropout zeroes each element of its input with probability P during
// training and scales the others by 1/(1-P) (torch.nn.Dropout); in
// evaluation mode it returns its input unchanged. Like a PyTorch module it
// starts in training mode; Train and Eval (or SetTraining) switch it.
//
// The mask is drawn from the default generator exactly as PyTorch 1.13's
// CPU dropout draws it (bernoulli_(1-P): one 53-bit uniform per element),
// so after the same tl.ManualSeed the same elements are dropped.
type Dropout struct {
	P    float64 // probability of an element being zeroed
	eval bool
}

// NewDropout returns a Dropout layer in training mode dropping elements with
// probability p (PyTorch's default is 0.5), which must lie in [0, 1].
func NewDropout(p float64) *Dropout {
	checkDropoutP(p)
	return &Dropout{P: p}
}

func checkDropoutP(p float64) {
	if !(p >= 0 && p <= 1) {
		panic(&tl.Error{Op: "Dropout", Msg: fmt.Sprintf("dropout probability has to be between 0 and 1, but got %v", p)})
	}
}

// SetTraining switches between training (dropping) and evaluation
// (identity) mode.
func (d *Dropout) SetTraining(training bool) { d.eval = !training }

// Training reports whether d is in training mode.
func (d *Dropout) Training() bool { return !d.eval }

// Forward applies dropout in training mode and returns x itself in
// evaluation mode.
func (d *Dropout) Forward(x *tl.Tensor) *tl.Tensor {
	return DropoutF(x, d.P, !d.eval)
}

// String returns PyTorch's repr of the layer.
func (d *Dropout) String() string { return fmt.Sprintf("Dropout(p=%v, inplace=False)", d.P) }

// DropoutF is the functional form of Dropout
// (torch.nn.functional.dropout(x, p, training)). It returns x itself when
// not training, when p is 0 or when x is empty, without drawing random
// numbers; otherwise x times a mask scaled by 1/(1-p), whose graph node is
// MulBackward0 as in PyTorch on the CPU.
func DropoutF(x *tl.Tensor, p float64, training bool) *tl.Tensor {
	checkDropoutP(p)
	if p == 0 || !training || x.Numel() == 0 {
		return x
	}
	if !x.DType().IsFloat() {
		panic(&tl.Error{Op: "Dropout", Msg: fmt.Sprintf("expected a floating-point input, got %v", x.DType()), Shapes: [][]int{x.Shape()}})
	}
	if p == 1 {
		return x.Mul(tl.New(x.DType()))
	}
	var noise *tl.Tensor
	tl.NoGrad(func() {
		// bernoulli_(1-p) on the CPU without MKL: element i is kept when
		// the i-th double uniform is below 1-p.
		u := tl.New(tl.Float64, x.Shape()...).UniformInPlace(0, 1)
		noise = u.LtScalar(1 - p).To(x.DType()).DivScalar(1 - p)
	})
	return x.Mul(noise)
}
