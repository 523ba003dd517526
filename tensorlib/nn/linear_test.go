package nn_test

import (
	"math"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
)

// TestLinearLayouts checks Linear's forward (the bias added in place into
// the product) against the composed ops bit for bit, and that the gradient
// reaching the weight is contiguous, like the weight (PyTorch's
// mm_mat2_backward; a transposed one makes every accumulation into .grad a
// strided pass), with the values of gᵀ·x.
func TestLinearLayouts(t *testing.T) {
	g := tl.NewGenerator(3)
	for _, dt := range []tl.DType{tl.Float32, tl.Float64} {
		l := nn.NewLinear(37, 19)
		if dt == tl.Float64 {
			l.Weight = l.Weight.Detach().To(tl.Float64).SetRequiresGrad(true)
			l.Bias = l.Bias.Detach().To(tl.Float64).SetRequiresGrad(true)
		}
		x := g.Randn(11, 37).To(dt)
		gy := g.Randn(11, 19).To(dt)
		y := l.Forward(x)
		want := x.MatMul(l.Weight.Detach().T()).Add(l.Bias.Detach())
		if !sameValues(y.Detach(), want) {
			t.Fatalf("%v: forward differs from x·Wᵀ + b", dt)
		}
		var wg *tl.Tensor
		l.Weight.RegisterHook(func(g *tl.Tensor) *tl.Tensor { wg = g; return nil })
		y.Mul(gy).Sum().Backward()
		if !wg.IsContiguous() {
			t.Fatalf("%v: weight gradient strides %v, want contiguous", dt, wg.Strides())
		}
		ref := gy.To(tl.Float64).T().MatMul(x.To(tl.Float64))
		got, w := wg.Float64s(), ref.Float64s()
		for i := range w {
			if math.Abs(got[i]-w[i]) > 1e-4*math.Max(1, math.Abs(w[i])) {
				t.Fatalf("%v: weight gradient [%d] = %v, want %v", dt, i, got[i], w[i])
			}
		}
	}
}

// sameValues reports whether a and b hold the same values bit for bit.
func sameValues(a, b *tl.Tensor) bool {
	x, y := a.Float64s(), b.Float64s()
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}
