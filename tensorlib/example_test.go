package tensorlib_test

import (
	"errors"
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

// The quick start: fit y = 2x + 1 with a linear model. After ManualSeed(42)
// the random numbers, and so every printed value, are those PyTorch prints
// for the same program.
func Example() {
	tl.ManualSeed(42)
	x := tl.Randn(100, 1)
	y := x.MulScalar(2).AddScalar(1).Add(tl.Randn(100, 1).MulScalar(0.1))

	w := tl.Zeros(1, 1).SetRequiresGrad(true)
	b := tl.Zeros(1).SetRequiresGrad(true)
	loss := x.MatMul(w).Add(b).Sub(y).Pow(2).Mean()
	loss.Backward()
	fmt.Println(loss)
	fmt.Println(w.Grad(), b.Grad())

	// A few steps of gradient descent; parameters are updated under NoGrad.
	for step := 0; step < 50; step++ {
		w.SetGrad(nil)
		b.SetGrad(nil)
		loss = x.MatMul(w).Add(b).Sub(y).Pow(2).Mean()
		loss.Backward()
		tl.NoGrad(func() {
			w.SubInPlace(w.Grad().MulScalar(0.1))
			b.SubInPlace(b.Grad().MulScalar(0.1))
		})
	}
	fmt.Printf("w %.2f, b %.2f, loss %.4f\n", w.Item(), b.Item(), loss.Item())
	// Output:
	// tensor(5.1267, grad_fn=<MeanBackward0>)
	// tensor([[-3.9893]]) tensor([-2.2463])
	// w 2.00, b 1.00, loss 0.0078
}

// Binary ops broadcast their operands as PyTorch (and NumPy) do: trailing
// dimensions are matched, and size-1 or missing dimensions are stretched.
func Example_broadcasting() {
	col := tl.Arange(3).Reshape(3, 1)                 // shape [3 1], Int64
	row := tl.FromFloat32s([]float32{10, 20, 30, 40}) // shape [4]
	sum := col.Add(row)                               // shape [3 4], promoted to Float32
	fmt.Println(sum.Shape(), sum.DType())
	fmt.Println(sum)

	// Gradients are summed back over the broadcast dimensions.
	bias := tl.Zeros(4).SetRequiresGrad(true)
	tl.Ones(3, 4).Add(bias).Sum().Backward()
	fmt.Println(bias.Grad())
	// Output:
	// [3 4] torch.float32
	// tensor([[10., 20., 30., 40.],
	//         [11., 21., 31., 41.],
	//         [12., 22., 32., 42.]])
	// tensor([3., 3., 3., 3.])
}

// View ops (Reshape of contiguous tensors, View, Transpose, Narrow, Select,
// Slice, Expand …) share storage with their input: writes through one are
// seen by the other.
func Example_views() {
	a := tl.Arange(6).To(tl.Float32).Reshape(2, 3)
	t := a.T()            // a view: strides swapped, no copy
	col := a.Select(1, 1) // the middle column
	even := a.Flatten().Slice(0, 0, tl.End, 2)
	fmt.Println(t.SharesStorage(a), col.SharesStorage(a), even.SharesStorage(a))
	fmt.Println(t.Shape(), t.Strides(), t.IsContiguous())

	col.MulScalarInPlace(100) // writes into a's storage
	fmt.Println(a)
	fmt.Println(t)
	fmt.Println(even)
	fmt.Println(a.Version(), t.Version()) // the version counter is shared too

	// Contiguous copies a non-contiguous view; Clone always copies.
	c := t.Contiguous()
	fmt.Println(c.SharesStorage(a), c.IsContiguous())
	// Output:
	// true true true
	// [3 2] [1 3] false
	// tensor([[  0., 100.,   2.],
	//         [  3., 400.,   5.]])
	// tensor([[  0.,   3.],
	//         [100., 400.],
	//         [  2.,   5.]])
	// tensor([  0.,   2., 400.])
	// 1 1
	// false true
}

// NoGrad turns off graph recording, for inference and parameter updates.
func ExampleNoGrad() {
	w := tl.FromFloat32s([]float32{1, 2}).SetRequiresGrad(true)
	y := w.MulScalar(3)
	fmt.Println(y.RequiresGrad(), y.GradFn())

	tl.NoGrad(func() {
		z := w.MulScalar(3)
		fmt.Println(z.RequiresGrad(), z.GradFn() == nil, tl.IsGradEnabled())
		w.AddScalarInPlace(1) // allowed on a leaf only with grad mode off
	})
	fmt.Println(w, tl.IsGradEnabled())
	// Output:
	// true <MulBackward0>
	// false true false
	// tensor([2., 3.], requires_grad=True) true
}

// A hook sees, and may replace, the gradient flowing into a tensor.
func ExampleTensor_RegisterHook() {
	x := tl.FromFloat32s([]float32{1, 2, 3}).SetRequiresGrad(true)
	h := x.Pow(2)
	handle := h.RegisterHook(func(g *tl.Tensor) *tl.Tensor {
		fmt.Println("gradient of h:", g)
		return g.Clamp(0, 0.5) // clip it before it reaches x
	})
	h.MulScalar(2).Sum().Backward()
	fmt.Println("x.Grad:", x.Grad())

	handle.Remove()
	x.SetGrad(nil)
	x.Pow(2).MulScalar(2).Sum().Backward()
	fmt.Println("without the hook:", x.Grad())
	// Output:
	// gradient of h: tensor([2., 2., 2.])
	// x.Grad: tensor([1., 2., 3.])
	// without the hook: tensor([ 4.,  8., 12.])
}

// Usage errors panic with a *tl.Error; Catch turns the panic back into an
// error value (other panics pass through).
func ExampleCatch() {
	a, b := tl.Zeros(2, 3), tl.Zeros(4, 5)
	err := tl.Catch(func() { a.MatMul(b) })
	fmt.Println(err)

	var e *tl.Error
	if errors.As(err, &e) {
		fmt.Println(e.Op, e.Shapes)
	}
	fmt.Println(tl.Catch(func() { a.Add(a) }))
	// Output:
	// MatMul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5) (shapes [2, 3], [4, 5])
	// MatMul [[2 3] [4 5]]
	// <nil>
}

// LayerNorm normalises each row over its last dimension; BatchNorm
// normalises each channel over the batch and updates running estimates.
func ExampleLayerNorm() {
	x := tl.FromFloat32s([]float32{1, 2, 3, 10, 20, 30}, 2, 3)
	fmt.Println(tl.LayerNorm(x, []int{3}, nil, nil, 1e-5))

	runningMean, runningVar := tl.Zeros(3), tl.Ones(3)
	y := tl.BatchNorm(x, runningMean, runningVar, nil, nil, true, 0.1, 1e-5)
	fmt.Println(y)
	fmt.Println(runningMean)
	// Output:
	// tensor([[-1.2247,  0.0000,  1.2247],
	//         [-1.2247,  0.0000,  1.2247]])
	// tensor([[-1.0000, -1.0000, -1.0000],
	//         [ 1.0000,  1.0000,  1.0000]])
	// tensor([0.5500, 1.1000, 1.6500])
}
