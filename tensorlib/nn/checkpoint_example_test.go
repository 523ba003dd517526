package nn_test

import (
	"fmt"
	"os"
	"path/filepath"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
)

// A state dict saved by PyTorch with torch.save(model.state_dict(), path)
// loads directly; nothing in the file is executed.
func ExampleLoad() {
	sd, err := nn.Load("testdata/model.pth")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(sd)
	// Output:
	// mask	[3]	torch.bool
	// scale	[]	torch.float64
	// transposed	[4 3]	torch.float32
	// tail	[4]	torch.float32
	// conv.weight	[2 1 3 3]	torch.float32
	// conv.bias	[2]	torch.float32
	// bn.weight	[2]	torch.float32
	// bn.bias	[2]	torch.float32
	// bn.running_mean	[2]	torch.float32
	// bn.running_var	[2]	torch.float32
	// bn.num_batches_tracked	[]	torch.int64
	// fc.weight	[3 8]	torch.float32
	// fc.bias	[3]	torch.float32
}

// SaveModule writes safetensors; LoadModule restores a module of the same
// shape (SaveTorch writes a file for torch.load instead).
func ExampleSaveModule() {
	dir, _ := os.MkdirTemp("", "gt-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	tl.ManualSeed(42)
	model := nn.NewLinear(3, 1)
	if err := nn.SaveModule(path, model); err != nil {
		fmt.Println(err)
		return
	}
	restored := nn.NewLinear(3, 1) // different initial weights
	if err := nn.LoadModule(path, restored, true); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(restored.Weight.Detach())
	fmt.Println(restored.Bias.Detach())
	// Output:
	// tensor([[ 0.4414,  0.4792, -0.1353]])
	// tensor([0.5304])
}
