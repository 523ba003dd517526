// Command quick runs the tensorlib quick start: a linear model's loss on
// PyTorch-identical random data, its gradient, and the printed tensors.
package main

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

func main() {
	tl.ManualSeed(42)
	X := tl.Randn(100, 1).MulScalar(10)
	y := X.MulScalar(2).AddScalar(1).Add(tl.Randn(100, 1).MulScalar(2))
	w := tl.Zeros(1, 1).SetRequiresGrad(true)
	loss := X.MatMul(w).Sub(y).Pow(2).Mean()
	loss.Backward()
	fmt.Println("X[:5] =", X.Index(tl.S(0, 5)))
	fmt.Println("loss  =", loss)
	fmt.Println("dL/dw =", w.Grad())
}
