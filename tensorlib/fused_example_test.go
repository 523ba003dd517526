package tensorlib_test

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

// AddScaledInPlace is PyTorch's add_ with alpha: a momentum-style update.
func ExampleTensor_AddScaledInPlace() {
	buf := tl.FromFloat32s([]float32{1, 2, 3})
	grad := tl.FromFloat32s([]float32{10, 20, 30})
	buf.MulScalarInPlace(0.5).AddScaledInPlace(grad, 0.1) // 0.5·buf + 0.1·grad
	fmt.Println(buf)
	// Output:
	// tensor([1.5000, 3.0000, 4.5000])
}

// AddcmulInPlace accumulates value·b·c, as Adam's running average of the
// squared gradient does.
func ExampleTensor_AddcmulInPlace() {
	v := tl.Zeros(3)
	grad := tl.FromFloat32s([]float32{1, -2, 3})
	v.AddcmulInPlace(grad, grad, 0.5) // v += 0.5·grad²
	fmt.Println(v)
	// Output:
	// tensor([0.5000, 2.0000, 4.5000])
}

// AddcdivInPlace adds value·b/c, as an adaptive optimizer's parameter
// update does; under NoGrad it may update a leaf that requires grad.
func ExampleTensor_AddcdivInPlace() {
	p := tl.FromFloat32s([]float32{1, 1, 1}).SetRequiresGrad(true)
	m := tl.FromFloat32s([]float32{2, 4, 8})
	denom := tl.FromFloat32s([]float32{2, 2, 4})
	tl.NoGrad(func() { p.AddcdivInPlace(m, denom, -0.5) }) // p -= 0.5·m/denom
	fmt.Println(p.Detach())
	// Output:
	// tensor([0.5000, 0.0000, 0.0000])
}

// AdamUpdate is the elementwise part of an Adam step (optim.Adam calls
// it); here the first step, which moves each parameter by about lr against
// its gradient's sign.
func ExampleAdamUpdate() {
	p := tl.FromFloat32s([]float32{1, 2, 3})
	grad := tl.FromFloat32s([]float32{0.5, -4, 0})
	m, v := tl.ZerosLike(p), tl.ZerosLike(p)
	u := tl.AdamUpdate{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}
	u.ApplyInPlace(p, grad, m, v, nil)
	fmt.Println(p)
	fmt.Println(m)
	// Output:
	// tensor([0.9000, 2.1000, 3.0000])
	// tensor([ 0.0500, -0.4000,  0.0000])
}
