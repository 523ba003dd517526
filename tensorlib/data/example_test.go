package data_test

import (
	"fmt"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/data"
)

// Shuffled batches in PyTorch's order:
// DataLoader(TensorDataset(torch.arange(10)), batch_size=3, shuffle=True,
// generator=torch.Generator().manual_seed(42)) yields the same batches.
func ExampleDataLoader() {
	ds := data.NewTensorDataset(tl.Arange(10).To(tl.Int64))
	loader := data.NewDataLoader(ds, 3, data.LoaderOptions{Shuffle: true, Generator: tl.NewGenerator(42)})
	fmt.Println(loader.Len(), "batches")
	it := loader.Iter()
	for it.Next() {
		fmt.Println(it.Batch()[0].Int64s())
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 4 batches
	// [6 5 4]
	// [0 8 9]
	// [2 1 3]
	// [7]
}

// torch.utils.data.random_split(range(10), [3, 7],
// generator=torch.Generator().manual_seed(42)) gives the same indices.
func ExampleRandomSplit() {
	ds := data.NewTensorDataset(tl.Arange(10))
	parts := data.RandomSplit(ds, []int{3, 7}, tl.NewGenerator(42))
	fmt.Println(parts[0].Indices, parts[1].Indices)
	// Output:
	// [2 6 1] [8 4 5 0 9 3 7]
}

func ExampleReadCSV() {
	in := "height,weight\n1.80,75\n1.65,60.5\n"
	x, names, err := data.ReadCSV(strings.NewReader(in), data.CSVOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(names)
	fmt.Println(x)
	_, _, err = data.ReadCSV(strings.NewReader("a,b\n1,2\n3,?\n"), data.CSVOptions{})
	fmt.Println(err)
	// Output:
	// [height weight]
	// tensor([[ 1.8000, 75.0000],
	//         [ 1.6500, 60.5000]])
	// data: ReadCSV: line 3, column 3 ("b"): cannot parse "?" as a number
}

func ExampleLoadMNIST() {
	train, err := data.LoadMNIST("testdata/mnist", true)
	if err != nil {
		fmt.Println(err)
		return
	}
	loader := data.NewDataLoader(train, 4)
	it := loader.Iter()
	for it.Next() {
		images, labels := it.Batch()[0], it.Batch()[1]
		fmt.Println(images.Shape(), labels.Shape(), labels.DType())
	}
	// Output:
	// [4 1 28 28] [4] torch.int64
	// [2 1 28 28] [2] torch.int64
}
