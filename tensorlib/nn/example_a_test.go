package nn_test

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
)

// A Sequential built after the same seed holds PyTorch's initial values, and
// these numbers are PyTorch's for torch.manual_seed(0);
// nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).
func ExampleNewSequential() {
	tl.ManualSeed(0)
	model := nn.NewSequential(nn.NewLinear(4, 8), &nn.ReLU{}, nn.NewLinear(8, 2))
	for _, p := range nn.NamedParameters(model) {
		fmt.Println(p.Name, p.Tensor.Shape())
	}
	fmt.Println(model.Layers[2].(*nn.Linear).Bias.Detach())
	x := tl.Ones(3, 4)
	fmt.Println(model.Forward(x))
	// Output:
	// 0.weight [8 4]
	// 0.bias [8]
	// 2.weight [2 8]
	// 2.bias [2]
	// tensor([ 0.0659, -0.2741])
	// tensor([[-0.1394, -0.1776],
	//         [-0.1394, -0.1776],
	//         [-0.1394, -0.1776]], grad_fn=<AddmmBackward0>)
}

func ExampleMSELoss() {
	pred := tl.FromFloat32s([]float32{2.5, 0, 2, 8}).SetRequiresGrad(true)
	target := tl.FromFloat32s([]float32{3, -0.5, 2, 7})
	loss := nn.MSELoss(pred, target)
	loss.Backward()
	fmt.Println(loss)
	fmt.Println(pred.Grad())
	fmt.Println(nn.MSELoss(pred, target, nn.LossOptions{Reduction: nn.Sum}))
	// Output:
	// tensor(0.3750, grad_fn=<MseLossBackward0>)
	// tensor([-0.2500,  0.2500,  0.0000,  0.5000])
	// tensor(1.5000, grad_fn=<MseLossBackward0>)
}

// Targets equal to -100 are ignored by default, as in PyTorch; another
// class to ignore is set with nn.Index.
func ExampleCrossEntropyLoss() {
	logits := tl.FromFloat32s([]float32{2, 0.5, -1, 0.1, 0.2, 3, 1, 1, 1}, 3, 3).SetRequiresGrad(true)
	target := tl.FromInts([]int{0, 2, -100})
	loss := nn.CrossEntropyLoss(logits, target)
	loss.Backward()
	fmt.Println(loss)
	fmt.Println(logits.Grad())
	fmt.Println(nn.CrossEntropyLoss(logits, tl.FromInts([]int{0, 2, 1}), nn.CrossEntropyOptions{IgnoreIndex: nn.Index(1), LabelSmoothing: 0.1}))
	// Output:
	// tensor(0.1755, grad_fn=<NllLossBackward0>)
	// tensor([[-0.1072,  0.0876,  0.0196],
	//         [ 0.0247,  0.0272, -0.0519],
	//         [ 0.0000,  0.0000,  0.0000]])
	// tensor(0.3455, grad_fn=<AddBackward0>)
}

// Dropout draws its mask from the default generator as PyTorch does:
// torch.manual_seed(0); F.dropout(torch.ones(8), 0.5).
func ExampleDropout() {
	tl.ManualSeed(0)
	d := nn.NewDropout(0.5)
	fmt.Println(d.Forward(tl.Ones(8)))
	nn.Eval(d)
	fmt.Println(d.Forward(tl.Ones(8)))
	// Output:
	// tensor([0., 0., 2., 0., 0., 0., 2., 2.])
	// tensor([1., 1., 1., 1., 1., 1., 1., 1.])
}

func ExampleBatchNorm1d() {
	bn := nn.NewBatchNorm1d(2)
	x := tl.FromFloat32s([]float32{1, 10, 2, 20, 3, 30, 4, 40}, 4, 2)
	y := bn.Forward(x)
	fmt.Println(y)
	fmt.Println(bn.RunningMean, bn.RunningVar, bn.NumBatchesTracked)
	nn.Eval(bn)
	fmt.Println(bn.Forward(x))
	// Output:
	// tensor([[-1.3416, -1.3416],
	//         [-0.4472, -0.4472],
	//         [ 0.4472,  0.4472],
	//         [ 1.3416,  1.3416]], grad_fn=<NativeBatchNormBackward0>)
	// tensor([0.2500, 2.5000]) tensor([ 1.0667, 17.5667]) tensor(1)
	// tensor([[0.7262, 1.7894],
	//         [1.6944, 4.1754],
	//         [2.6627, 6.5613],
	//         [3.6309, 8.9472]], grad_fn=<NativeBatchNormBackward0>)
}

func ExampleEmbedding() {
	tl.ManualSeed(0)
	emb := nn.NewEmbedding(10, 3, nn.EmbeddingOptions{PaddingIdx: nn.Index(0)})
	out := emb.Forward(tl.FromInts([]int{1, 0, 4, 1}, 2, 2))
	fmt.Println(out.Shape())
	fmt.Println(out)
	// Output:
	// [2 2 3]
	// tensor([[[-0.4339,  0.8487,  0.6920],
	//          [ 0.0000,  0.0000,  0.0000]],
	//
	//         [[ 0.1198,  1.2377, -0.1435],
	//          [-0.4339,  0.8487,  0.6920]]], grad_fn=<EmbeddingBackward0>)
}

// State dict keys follow PyTorch's, buffers included.
func ExampleStateDictOf() {
	type Net struct {
		FC   *nn.Linear
		BN   *nn.BatchNorm1d
		Head *nn.Sequential
	}
	net := &Net{FC: nn.NewLinear(4, 8), BN: nn.NewBatchNorm1d(8), Head: nn.NewSequential(nn.ReLU{}, nn.NewLinear(8, 2))}
	for _, k := range nn.StateDictOf(net).Keys() {
		fmt.Println(k)
	}
	// Output:
	// fc.weight
	// fc.bias
	// bn.weight
	// bn.bias
	// bn.running_mean
	// bn.running_var
	// bn.num_batches_tracked
	// head.1.weight
	// head.1.bias
}
