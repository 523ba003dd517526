// Command linear_regression is the seed walkthrough (chapter 3 of the
// PyTorch primer gt follows) in Go, line for line: data, model, loss and
// optimiser, training loop, results, and the two plots as PNG files. With the
// same seed it prints the numbers PyTorch prints.
//
//	go run ./examples/linear_regression -out /tmp/plots
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
	"github.com/gotensor/gt/tensorlib/optim"
)

// LinearRegressionModel predicts y = wx + b with one Linear layer.
type LinearRegressionModel struct {
	Linear *nn.Linear // named "linear" in the state dict, as in PyTorch
}

// Forward applies the model.
func (m *LinearRegressionModel) Forward(x *tl.Tensor) *tl.Tensor { return m.Linear.Forward(x) }

// result is what the walkthrough produces besides its printed lines.
type result struct {
	X, Y, Predicted *tl.Tensor
	LossHistory     []float64
	Model           *LinearRegressionModel
}

// run executes the walkthrough, printing to w.
func run(w io.Writer) result {
	// 1. Data: y = 2x + 1 plus noise, with a fixed seed.
	tl.ManualSeed(42)
	XTrain := tl.Randn(100, 1).MulScalar(10)
	yTrain := XTrain.MulScalar(2).AddScalar(1).Add(tl.Randn(100, 1).MulScalar(2))
	fmt.Fprintf(w, "X_train shape: %v\n", XTrain.Shape())
	fmt.Fprintf(w, "y_train shape: %v\n", yTrain.Shape())
	fmt.Fprintf(w, "最初の5つの入力 X_train: %v\n", XTrain.Index(tl.S(0, 5)))
	fmt.Fprintf(w, "最初の5つの出力 y_train: %v\n", yTrain.Index(tl.S(0, 5)))

	// 2. Model.
	model := &LinearRegressionModel{Linear: nn.NewLinear(1, 1)}
	fmt.Fprintln(w, "\nモデルのパラメータ:")
	for _, p := range nn.NamedParameters(model) {
		if p.Tensor.RequiresGrad() {
			fmt.Fprintf(w, "パラメータ名: %s, 初期値: %v\n", p.Name, p.Tensor.Detach())
		}
	}

	// 3. Loss and optimiser.
	criterion := nn.MSELoss
	optimizer := optim.NewSGD(nn.Parameters(model), 0.01)

	// 4. Training loop.
	numEpochs := 100
	fmt.Fprintf(w, "\n— トレーニング開始 (%d エポック) —\n", numEpochs)
	var lossHistory []float64
	for epoch := 0; epoch < numEpochs; epoch++ {
		yPred := model.Forward(XTrain)
		loss := criterion(yPred, yTrain)
		lossHistory = append(lossHistory, loss.Item())
		loss.Backward()
		optimizer.Step()
		optimizer.ZeroGrad()
		if (epoch+1)%10 == 0 {
			fmt.Fprintf(w, "Epoch [%d/%d], Loss: %.4f\n", epoch+1, numEpochs, loss.Item())
		}
	}
	fmt.Fprintln(w, "— トレーニング完了 —")

	// 5. Results.
	fmt.Fprintln(w, "\n学習済みモデルのパラメータ:")
	for _, p := range nn.NamedParameters(model) {
		if p.Tensor.RequiresGrad() {
			fmt.Fprintf(w, "パラメータ名: %s, 学習値: %v\n", p.Name, p.Tensor.Detach())
		}
	}
	fmt.Fprintln(w, "真の重み w: 2.0, 真のバイアス b: 1.0")
	learnedWeight := model.Linear.Weight.Item()
	learnedBias := model.Linear.Bias.Item()
	fmt.Fprintf(w, "学習済み重み w: %.4f, 学習済みバイアス b: %.4f\n", learnedWeight, learnedBias)

	var predicted *tl.Tensor
	tl.NoGrad(func() { predicted = model.Forward(XTrain) })
	return result{X: XTrain, Y: yTrain, Predicted: predicted, LossHistory: lossHistory, Model: model}
}

func main() {
	out := flag.String("out", "", "directory for loss.png and regression.png (no plots when empty)")
	flag.Parse()
	r := run(os.Stdout)
	if *out != "" {
		if err := writePlots(*out, r); err != nil {
			fmt.Fprintln(os.Stderr, "plots:", err)
			os.Exit(1)
		}
		fmt.Printf("\nplots written to %s (loss.png, regression.png)\n", *out)
	}
}
