package data

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Dataset is a map-style dataset (torch.utils.data.Dataset with __len__):
// Len samples, each a list of tensors (for example features and label).
// Get may panic to report a bad sample; a DataLoader turns the panic into an
// error returned by its iterator.
type Dataset interface {
	Len() int
	Get(i int) []*tl.Tensor
}

// BatchGetter is implemented by datasets that can fetch several samples at
// once, already collated (each field stacked along a new first dimension),
// faster than one Get per sample. DataLoader uses it when no custom Collate
// is set. TensorDataset and Subset implement it.
type BatchGetter interface {
	GetBatch(indices []int) []*tl.Tensor
}

// TensorDataset wraps tensors that share their first dimension; sample i is
// the i-th slice of each (torch.utils.data.TensorDataset).
type TensorDataset struct {
	tensors []*tl.Tensor
}

// NewTensorDataset returns the dataset of the tensors' first-dimension
// slices. It panics with a *tl.Error if no tensor is given, a tensor is 0-dim
// or their first dimensions differ.
func NewTensorDataset(tensors ...*tl.Tensor) *TensorDataset {
	if len(tensors) == 0 {
		panic(&tl.Error{Op: "TensorDataset", Msg: "expected at least one tensor"})
	}
	shapes := make([][]int, len(tensors))
	for i, t := range tensors {
		shapes[i] = t.Shape()
	}
	for i, t := range tensors {
		if t.Dim() == 0 {
			panic(&tl.Error{Op: "TensorDataset", Msg: fmt.Sprintf("tensor %d is 0-dim; samples are slices along the first dimension", i), Shapes: shapes})
		}
		if t.Size(0) != tensors[0].Size(0) {
			panic(&tl.Error{Op: "TensorDataset", Msg: "Size mismatch between tensors", Shapes: shapes})
		}
	}
	return &TensorDataset{tensors: append([]*tl.Tensor{}, tensors...)}
}

// Tensors returns the wrapped tensors.
func (d *TensorDataset) Tensors() []*tl.Tensor { return append([]*tl.Tensor{}, d.tensors...) }

// Len returns the size of the first dimension.
func (d *TensorDataset) Len() int { return d.tensors[0].Size(0) }

// Get returns the i-th slice of every tensor (views sharing storage). A
// negative i counts from the end, as in Python.
func (d *TensorDataset) Get(i int) []*tl.Tensor {
	n := d.Len()
	if i < -n || i >= n {
		panic(&tl.Error{Op: "TensorDataset.Get", Msg: fmt.Sprintf("index %d is out of bounds for a dataset of size %d", i, n)})
	}
	if i < 0 {
		i += n
	}
	out := make([]*tl.Tensor, len(d.tensors))
	for j, t := range d.tensors {
		out[j] = t.Select(0, i)
	}
	return out
}

// GetBatch returns the samples at indices, collated: each tensor indexed
// along its first dimension (one IndexSelect per field).
func (d *TensorDataset) GetBatch(indices []int) []*tl.Tensor {
	n := d.Len()
	idx := make([]int64, len(indices))
	for k, i := range indices {
		if i < -n || i >= n {
			panic(&tl.Error{Op: "TensorDataset.GetBatch", Msg: fmt.Sprintf("index %d is out of bounds for a dataset of size %d", i, n)})
		}
		if i < 0 {
			i += n
		}
		idx[k] = int64(i)
	}
	it := tl.FromInt64s(idx)
	out := make([]*tl.Tensor, len(d.tensors))
	for j, t := range d.tensors {
		out[j] = t.IndexSelect(0, it)
	}
	return out
}

// Subset is the dataset restricted to the given indices
// (torch.utils.data.Subset): sample i is Dataset.Get(Indices[i]).
type Subset struct {
	Dataset Dataset
	Indices []int
}

// NewSubset returns the subset of ds at indices (copied).
func NewSubset(ds Dataset, indices []int) *Subset {
	return &Subset{Dataset: ds, Indices: append([]int{}, indices...)}
}

// Len returns len(Indices).
func (s *Subset) Len() int { return len(s.Indices) }

// Get returns the underlying dataset's sample Indices[i].
func (s *Subset) Get(i int) []*tl.Tensor {
	if i < -len(s.Indices) || i >= len(s.Indices) {
		panic(&tl.Error{Op: "Subset.Get", Msg: fmt.Sprintf("index %d is out of bounds for a subset of size %d", i, len(s.Indices))})
	}
	if i < 0 {
		i += len(s.Indices)
	}
	return s.Dataset.Get(s.Indices[i])
}

// GetBatch returns the samples at indices, collated, using the underlying
// dataset's GetBatch when it has one.
func (s *Subset) GetBatch(indices []int) []*tl.Tensor {
	mapped := make([]int, len(indices))
	for k, i := range indices {
		if i < -len(s.Indices) || i >= len(s.Indices) {
			panic(&tl.Error{Op: "Subset.GetBatch", Msg: fmt.Sprintf("index %d is out of bounds for a subset of size %d", i, len(s.Indices))})
		}
		if i < 0 {
			i += len(s.Indices)
		}
		mapped[k] = s.Indices[i]
	}
	return getBatch(s.Dataset, mapped)
}

// getBatch fetches and collates the samples at indices, in one call when ds
// is a BatchGetter.
func getBatch(ds Dataset, indices []int) []*tl.Tensor {
	if bg, ok := ds.(BatchGetter); ok {
		return bg.GetBatch(indices)
	}
	samples := make([][]*tl.Tensor, len(indices))
	for k, i := range indices {
		samples[k] = ds.Get(i)
	}
	return DefaultCollate(samples)
}

// FuncDataset is a dataset defined by a length and a function, handy in the
// REPL: data.FuncDataset{N: 100, Fn: func(i int) []*tl.Tensor { … }}.
type FuncDataset struct {
	N  int
	Fn func(i int) []*tl.Tensor
}

// Len returns N.
func (f FuncDataset) Len() int { return f.N }

// Get returns Fn(i).
func (f FuncDataset) Get(i int) []*tl.Tensor { return f.Fn(i) }

// RandomSplit splits ds into non-overlapping subsets of the given lengths,
// in the random order of g.RandPerm(sum(lengths)) — the split
// torch.utils.data.random_split(ds, lengths, generator=g) makes for a
// generator with the same seed. A nil g uses the default generator (torch's
// default too). It panics with a *tl.Error if a length is negative or the
// lengths do not add up to ds.Len().
func RandomSplit(ds Dataset, lengths []int, g *tl.Generator) []*Subset {
	total := 0
	for i, l := range lengths {
		if l < 0 {
			panic(&tl.Error{Op: "RandomSplit", Msg: fmt.Sprintf("length at index %d is negative (%d)", i, l)})
		}
		total += l
	}
	if total != ds.Len() {
		panic(&tl.Error{Op: "RandomSplit", Msg: fmt.Sprintf("Sum of input lengths (%d) does not equal the length of the input dataset (%d)!", total, ds.Len())})
	}
	if g == nil {
		g = tl.DefaultGenerator()
	}
	perm := g.RandPerm(total).Int64s()
	out := make([]*Subset, len(lengths))
	off := 0
	for i, l := range lengths {
		idx := make([]int, l)
		for k := range idx {
			idx[k] = int(perm[off+k])
		}
		out[i] = &Subset{Dataset: ds, Indices: idx}
		off += l
	}
	return out
}

// RandomSplitFractions is RandomSplit with lengths given as fractions of
// ds.Len() that sum to 1, rounded as torch does: floor(n·frac) each, then the
// remainder handed out one by one from the first split on. It panics with a
// *tl.Error if a fraction is outside [0, 1] or they do not sum to 1.
func RandomSplitFractions(ds Dataset, fractions []float64, g *tl.Generator) []*Subset {
	sum := 0.0
	for _, f := range fractions {
		sum += f
	}
	if len(fractions) == 0 || math.Abs(sum-1) > 1e-9 || sum > 1 {
		panic(&tl.Error{Op: "RandomSplitFractions", Msg: fmt.Sprintf("fractions must sum to 1, got %v", sum)})
	}
	n := ds.Len()
	lengths := make([]int, len(fractions))
	used := 0
	for i, f := range fractions {
		if f < 0 || f > 1 || math.IsNaN(f) {
			panic(&tl.Error{Op: "RandomSplitFractions", Msg: fmt.Sprintf("Fraction at index %d is not between 0 and 1", i)})
		}
		lengths[i] = int(math.Floor(float64(n) * f))
		used += lengths[i]
	}
	for i := 0; i < n-used; i++ {
		lengths[i%len(lengths)]++
	}
	return RandomSplit(ds, lengths, g)
}
