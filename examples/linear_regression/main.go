// Command linear_regression is the seed walkthrough (chapter 3) in Go.
package main

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
)

// LinearRegressionModel is the walkthrough's model: one Linear layer.
type LinearRegressionModel struct{ Linear *nn.Linear }

// Forward applies the model.
func (m *LinearRegressionModel) Forward(x *tl.Tensor) *tl.Tensor { return m.Linear.Forward(x) }

func main() {
	tl.ManualSeed(42)
	X := tl.Randn(100, 1).MulScalar(10)
	y := X.MulScalar(2).AddScalar(1).Add(tl.Randn(100, 1).MulScalar(2))
	model := &LinearRegressionModel{Linear: nn.NewLinear(1, 1)}
	for _, p := range nn.NamedParameters(model) {
		fmt.Println(p.Name, p.Tensor.Detach())
	}
	params := nn.Parameters(model)
	for epoch := 0; epoch < 100; epoch++ {
		loss := model.Forward(X).Sub(y).Pow(2).Mean()
		loss.Backward()
		tl.NoGrad(func() {
			for _, p := range params {
				p.SubInPlace(p.Grad().MulScalar(0.01))
				p.SetGrad(nil)
			}
		})
		if (epoch+1)%10 == 0 {
			fmt.Printf("Epoch [%d/100], Loss: %.4f\n", epoch+1, loss.Item())
		}
	}
	fmt.Println(model.Linear.Weight.Item(), model.Linear.Bias.Item())
}
