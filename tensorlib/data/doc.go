// Package data loads and batches training data in the shape of
// torch.utils.data: datasets (TensorDataset, Subset, RandomSplit), a
// DataLoader that batches, shuffles and prefetches them with worker
// goroutines, and readers for common file formats (IDX/MNIST, CSV).
//
// A dataset is anything with a length and an indexed sample; a sample is a
// list of tensors (features, label, …):
//
//	ds := data.NewTensorDataset(X, y)           // X: (N, …), y: (N)
//	parts := data.RandomSplit(ds, []int{80, 20}, tl.NewGenerator(42))
//	loader := data.NewDataLoader(parts[0], 32, data.LoaderOptions{Shuffle: true})
//	for epoch := 0; epoch < 10; epoch++ {
//		it := loader.Iter()
//		for it.Next() {
//			b := it.Batch() // b[0]: (32, …), b[1]: (32)
//			_ = b
//		}
//		if err := it.Err(); err != nil {
//			return err
//		}
//	}
//
// The iteration API is a plain Next/Batch/Err loop rather than a
// range-over-func iterator so it also runs in the gt REPL's interpreter, and
// the public API uses no generics for the same reason.
//
// Random order matches PyTorch's for the same seed: RandomSplit draws
// torch.randperm(sum(lengths), generator=g), and a shuffling DataLoader
// consumes its generator exactly as torch 1.13's DataLoader does (each epoch's
// iterator first draws a 64-bit base seed, then RandomSampler draws
// randperm(n) from an explicit generator, or a fresh generator seeded from the
// default one, and an exhausted RandomSampler draws one more randperm(n) from
// an explicit generator). So data.NewDataLoader(ds, 3, data.LoaderOptions{Shuffle: true,
// Generator: tl.NewGenerator(42)}) yields the batches of
// DataLoader(ds, 3, shuffle=True, generator=torch.Generator().manual_seed(42)),
// epoch after epoch.
//
// File readers return errors, never panic, and bound their memory by what
// the input actually contains: a file that declares a huge size but holds
// little data fails after reading what is there.
package data
