package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Bilinear applies y_k = x1ᵀ·W_k·x2 + b_k (torch.nn.Bilinear).
type Bilinear struct {
	Weight *tl.Tensor // (out, in1, in2)
	Bias   *tl.Tensor // (out), nil without bias
}

// BilinearOptions are Bilinear's optional settings; the zero value is
// PyTorch's default.
type BilinearOptions struct {
	NoBias bool // bias=False
}

// NewBilinear returns a Bilinear layer initialised as PyTorch does (weight
// then bias, each uniform on ±1/√in1), consuming the default generator in
// the same order.
func NewBilinear(in1, in2, out int, opts ...BilinearOptions) *Bilinear {
	o := firstOr(opts)
	if in1 < 0 || in2 < 0 || out < 0 {
		panic(&tl.Error{Op: "NewBilinear", Msg: fmt.Sprintf("sizes must be non-negative, got %d, %d, %d", in1, in2, out)})
	}
	bound := 0.0
	if in1 > 0 {
		bound = 1 / math.Sqrt(float64(in1))
	}
	b := &Bilinear{Weight: tl.New(tl.Float32, out, in1, in2)}
	Uniform(b.Weight, -bound, bound)
	b.Weight.SetRequiresGrad(true)
	if !o.NoBias {
		b.Bias = tl.New(tl.Float32, out)
		Uniform(b.Bias, -bound, bound)
		b.Bias.SetRequiresGrad(true)
	}
	return b
}

// Forward applies the layer to x1 of shape (…, in1) and x2 of shape
// (…, in2) with the same leading dimensions, giving (…, out). Taking two
// inputs, Bilinear is not a Layer.
func (b *Bilinear) Forward(x1, x2 *tl.Tensor) *tl.Tensor {
	return BilinearF(x1, x2, b.Weight, b.Bias)
}

// String returns PyTorch's repr of the layer.
func (b *Bilinear) String() string {
	s := b.Weight.Shape()
	return fmt.Sprintf("Bilinear(in1_features=%d, in2_features=%d, out_features=%d, bias=%s)", s[1], s[2], s[0], pyBool(b.Bias != nil))
}

// BilinearF is the functional form of Bilinear
// (torch.nn.functional.bilinear); bias may be nil.
func BilinearF(x1, x2, weight, bias *tl.Tensor) *tl.Tensor {
	const op = "Bilinear"
	s1, s2, ws := x1.Shape(), x2.Shape(), weight.Shape()
	shapes := [][]int{s1, s2, ws}
	if len(ws) != 3 {
		panic(&tl.Error{Op: op, Msg: "weight must be 3-D (out, in1, in2)", Shapes: shapes})
	}
	out, in1, in2 := ws[0], ws[1], ws[2]
	if len(s1) == 0 || len(s1) != len(s2) || !sameInts(s1[:len(s1)-1], s2[:len(s2)-1]) {
		panic(&tl.Error{Op: op, Msg: "input1 and input2 must have the same dimensions and the same leading sizes", Shapes: shapes})
	}
	if s1[len(s1)-1] != in1 || s2[len(s2)-1] != in2 {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected inputs of sizes (…, %d) and (…, %d)", in1, in2), Shapes: shapes})
	}
	if bias != nil && (bias.Dim() != 1 || bias.Numel() != out) {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected a bias of shape [%d]", out), Shapes: [][]int{bias.Shape()}})
	}
	lead := s1[:len(s1)-1]
	batch := 1
	for _, d := range lead {
		batch *= d
	}
	a, c := x1.Reshape(batch, in1), x2.Reshape(batch, in2)
	y := tl.Function{
		Name: "TrilinearBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			return trilinear(in[0], in[1], in[2])
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			x1, w, x2 := in[0], in[1], in[2]
			grads := make([]*tl.Tensor, 3)
			if x1.RequiresGrad() {
				// dx1[b,i] = Σ_o g[b,o]·(W[o]·x2[b])_i
				wx2 := w.Reshape(out*in1, in2).MatMul(x2.T()).Reshape(out, in1, batch) // [o,i,b]
				grads[0] = wx2.Mul(g.T().Unsqueeze(1)).SumDim(0, false).T()
			}
			if w.RequiresGrad() {
				// dW[o,i,j] = Σ_b g[b,o]·x1[b,i]·x2[b,j]
				gx1 := g.Unsqueeze(2).Mul(x1.Unsqueeze(1)).Reshape(batch, out*in1) // [b,(o,i)]
				grads[1] = gx1.T().MatMul(x2).Reshape(out, in1, in2)
			}
			if x2.RequiresGrad() {
				// dx2[b,j] = Σ_o g[b,o]·(x1[b]ᵀ·W[o])_j
				x1w := x1.MatMul(w.Permute(1, 0, 2).Reshape(in1, out*in2)).Reshape(batch, out, in2)
				grads[2] = x1w.Mul(g.Unsqueeze(2)).SumDim(1, false)
			}
			return grads
		},
	}.Apply(a, weight, c)
	y = y.Reshape(append(append([]int{}, lead...), out)...)
	if bias != nil {
		y = y.Add(bias)
	}
	return y
}

// trilinear returns y[b,o] = Σ_ij x1[b,i]·W[o,i,j]·x2[b,j] (no graph).
func trilinear(x1, w, x2 *tl.Tensor) *tl.Tensor {
	ws := w.Shape()
	out, in1, in2 := ws[0], ws[1], ws[2]
	batch := x1.Shape()[0]
	x1w := x1.MatMul(w.Permute(1, 0, 2).Reshape(in1, out*in2)).Reshape(batch, out, in2)
	return x1w.Mul(x2.Unsqueeze(1)).SumDim(2, false)
}
