// Package tensorlib provides eager, define-by-run tensors with automatic
// differentiation, modelled on PyTorch's tensor API.
//
// A Tensor is a strided view (dtype, shape, strides, offset) over shared
// storage. Operations run immediately and, when an input requires gradients
// and grad mode is on, record a Node in the autograd graph; Backward walks the
// graph in reverse topological order and accumulates gradients into leaves.
//
//	tl.ManualSeed(42)
//	x := tl.Randn(100, 1).MulScalar(10)
//	w := tl.Zeros(1, 1).SetRequiresGrad(true)
//	loss := x.MatMul(w).Sub(x.MulScalar(2)).Pow(2).Mean()
//	loss.Backward()
//	fmt.Println(w.Grad())
//
// # Errors
//
// Mistakes in use (mismatched shapes, wrong dtypes, out-of-range indices)
// panic with a *Error naming the op and the operands' shapes, as gonum does.
// Catch converts such a panic into an ordinary error.
//
// # Dtypes and promotion
//
// Four dtypes exist: Float32 (the default), Float64, Int64 and Bool. Binary
// ops promote their operands as PyTorch does (see ResultType): the result's
// category is the highest of bool < integer < floating point; within a
// category the wider type wins; a zero-dimensional tensor only decides the
// dtype when it is of a higher category than every dimensioned operand, and a
// Go scalar (the …Scalar forms) only when it is of a higher category than
// every tensor, in which case a float scalar gives Float32 (the default
// dtype) and an integer scalar Int64:
//
//	          Bool     Int64    Float32  Float64
//	Bool      Bool     Int64    Float32  Float64
//	Int64     Int64    Int64    Float32  Float64
//	Float32   Float32  Float32  Float32  Float64
//	Float64   Float64  Float64  Float64  Float64
//
// True division (Div) of integer tensors gives Float32.
//
// # Random numbers
//
// Rand, Randn, RandInt and RandPerm reproduce PyTorch 1.13's CPU generator:
// after ManualSeed(s) they return the values torch.manual_seed(s) followed by
// the same torch calls returns. Generator values give independent streams.
//
// # Interrupting
//
// Long-running kernels poll an interrupt flag between blocks of work; Interrupt
// sets it (a REPL does so on Ctrl-C), making the running op panic with
// ErrInterrupted.
package tensorlib
