package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Linear applies y = x·Wᵀ + b (torch.nn.Linear).
type Linear struct {
	Weight *tl.Tensor // (out, in)
	Bias   *tl.Tensor // (out), nil without bias
}

// LinearOptions are Linear's optional settings; the zero value is PyTorch's
// default.
type LinearOptions struct {
	NoBias bool // bias=False
}

// NewLinear returns a Linear layer initialised as PyTorch does (weight then
// bias, each uniform on ±1/√in), consuming the default generator in the same
// order so a seed gives PyTorch's initial values.
func NewLinear(in, out int, opts ...LinearOptions) *Linear {
	var o LinearOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	l := &Linear{Weight: tl.New(tl.Float32, out, in)}
	KaimingUniform(l.Weight, math.Sqrt(5))
	l.Weight.SetRequiresGrad(true)
	if !o.NoBias {
		l.Bias = tl.New(tl.Float32, out)
		bound := 0.0
		if in > 0 {
			bound = 1 / math.Sqrt(float64(in))
		}
		Uniform(l.Bias, -bound, bound)
		l.Bias.SetRequiresGrad(true)
	}
	return l
}

// addmm is PyTorch's addmm(bias, x, wt) = bias + x·wt for 2-D x, one node
// (AddmmBackward0) whose gradients are two matmuls and a sum.
var addmm = tl.Function{
	Name: "AddmmBackward0",
	Forward: func(in []*tl.Tensor) *tl.Tensor {
		y := in[1].MatMul(in[2])
		if y.DType() == in[0].DType() {
			return y.AddInPlace(in[0]) // into the fresh product: no second output
		}
		return y.Add(in[0])
	},
	Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
		bias, x, wt := in[0], in[1], in[2]
		grads := make([]*tl.Tensor, 3)
		if bias.RequiresGrad() {
			grads[0] = g // reduced to the bias's shape by Function
		}
		if x.RequiresGrad() {
			grads[1] = g.MatMul(wt.T())
		}
		if wt.RequiresGrad() {
			grads[2] = mmMat2Grad(x, g, wt)
		}
		return grads
	},
}

// mmMat2Grad is the gradient x.T()·g of mat2 in x·mat2, laid out as mat2
// is (PyTorch's mm_mat2_backward): for a column-major mat2, such as the
// transposed weight of a Linear layer, it is computed as (g.T()·x).T(), so
// that the weight's own gradient is contiguous and accumulating it into
// the weight's .grad is one contiguous pass (the sums are the same
// products in the same order).
func mmMat2Grad(x, g, mat2 *tl.Tensor) *tl.Tensor {
	if st := mat2.Strides(); st[0] == 1 && st[1] == mat2.Size(0) && mat2.Size(1) > 1 {
		return g.T().MatMul(x).T()
	}
	return x.T().MatMul(g)
}

// Forward applies the layer to x of shape (…, in).
func (l *Linear) Forward(x *tl.Tensor) *tl.Tensor {
	wt := l.Weight.T()
	if l.Bias != nil && x.Dim() == 2 {
		return addmm.Apply(l.Bias, x, wt)
	}
	y := x.MatMul(wt)
	if l.Bias != nil {
		y = y.Add(l.Bias)
	}
	return y
}

// String describes the layer as PyTorch does:
// Linear(in_features=1, out_features=1, bias=True).
func (l *Linear) String() string {
	s := l.Weight.Shape()
	bias := "True"
	if l.Bias == nil {
		bias = "False"
	}
	return fmt.Sprintf("Linear(in_features=%d, out_features=%d, bias=%s)", s[1], s[0], bias)
}
