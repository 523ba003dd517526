package tensorlib

// Joining and splitting tensors.

// Cat concatenates tensors along dim; all must have the same shape except in
// dim. Dtypes are promoted.
func Cat(tensors []*Tensor, dim int) *Tensor {
	if len(tensors) == 0 {
		fail("Cat", "expected a non-empty list of Tensors")
	}
	ref := tensors[0]
	d := ref.normDim("Cat", dim)
	dt := ResultType(tensors...)
	shape := ref.Shape()
	shapes := make([][]int, len(tensors))
	total := 0
	for i, t := range tensors {
		shapes[i] = t.shape
		if len(t.shape) != len(ref.shape) {
			failShapes("Cat", shapes[:i+1], "tensors must have same number of dimensions: got %d and %d", len(ref.shape), len(t.shape))
		}
		for j := range t.shape {
			if j != d && t.shape[j] != ref.shape[j] {
				failShapes("Cat", shapes[:i+1], "sizes of tensors must match except in dimension %d. Expected size %d but got size %d for tensor number %d in the list", d, ref.shape[j], t.shape[j], i)
			}
		}
		total += t.shape[d]
	}
	shape[d] = total
	out := newTensor(dt, shape)
	pos := 0
	for _, t := range tensors {
		out.Detach().Narrow(d, pos, t.shape[d]).assign(t)
		pos += t.shape[d]
	}
	if needsGrad(tensors...) {
		record(out, "CatBackward0", tensors, nil, func(g *Tensor) []*Tensor {
			grads := make([]*Tensor, len(tensors))
			pos := 0
			for i, t := range tensors {
				if t.RequiresGrad() {
					grads[i] = g.Narrow(d, pos, t.shape[d]).To(t.dtype)
				}
				pos += t.shape[d]
			}
			return grads
		})
	}
	return out
}

// Stack joins equally shaped tensors along a new dimension dim.
func Stack(tensors []*Tensor, dim int) *Tensor {
	if len(tensors) == 0 {
		fail("Stack", "expected a non-empty list of Tensors")
	}
	n := len(tensors[0].shape) + 1
	if dim < -n || dim >= n {
		failShapes("Stack", [][]int{tensors[0].shape}, "dimension out of range (expected to be in range of [%d, %d], but got %d)", -n, n-1, dim)
	}
	if dim < 0 {
		dim += n
	}
	parts := make([]*Tensor, len(tensors))
	for i, t := range tensors {
		if !sameShape(t.shape, tensors[0].shape) {
			failShapes("Stack", [][]int{tensors[0].shape, t.shape}, "stack expects each tensor to be equal size, but got %s at entry 0 and %s at entry %d", shapeString(tensors[0].shape), shapeString(t.shape), i)
		}
		parts[i] = t.Detach().Unsqueeze(dim)
	}
	out := Cat(parts, dim)
	if needsGrad(tensors...) {
		record(out, "StackBackward0", tensors, nil, func(g *Tensor) []*Tensor {
			grads := make([]*Tensor, len(tensors))
			for i, t := range tensors {
				if t.RequiresGrad() {
					grads[i] = g.Select(dim, i).To(t.dtype)
				}
			}
			return grads
		})
	}
	return out
}

// Split cuts t along dim into pieces of size (the last may be smaller).
// The pieces are views.
func (t *Tensor) Split(size, dim int) []*Tensor {
	d := t.normDim("Split", dim)
	if size <= 0 {
		fail("Split", "split_size must be positive, got %d", size)
	}
	n := t.shape[d]
	var sizes []int
	for pos := 0; pos < n; pos += size {
		sizes = append(sizes, min(size, n-pos))
	}
	if n == 0 {
		sizes = []int{0}
	}
	return t.splitOp("SplitBackward0", sizes, d)
}

// SplitSizes cuts t along dim into pieces of the given sizes, which must sum
// to t's size in dim.
func (t *Tensor) SplitSizes(sizes []int, dim int) []*Tensor {
	return t.splitOp("SplitWithSizesBackward0", sizes, dim)
}

// splitOp cuts t into views of the given sizes along dim, naming their
// gradient functions name.
func (t *Tensor) splitOp(name string, sizes []int, dim int) []*Tensor {
	d := t.normDim("Split", dim)
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total != t.shape[d] {
		failShapes("Split", [][]int{t.shape}, "split sizes %v must sum to the size of dimension %d (%d)", sizes, d, t.shape[d])
	}
	out := make([]*Tensor, len(sizes))
	pos := 0
	for i, s := range sizes {
		out[i] = t.Narrow(d, pos, s)
		if out[i].gradFn != nil {
			out[i].gradFn.name = name
		}
		pos += s
	}
	return out
}

// Chunk splits t into n pieces of equal size along dim (the last may be
// smaller, and fewer pieces may result), as torch.chunk does.
func (t *Tensor) Chunk(n, dim int) []*Tensor {
	if n <= 0 {
		fail("Chunk", "chunk expects `chunks` to be greater than 0, got: %d", n)
	}
	d := t.normDim("Chunk", dim)
	size := (t.shape[d] + n - 1) / n
	return t.Split(max(size, 1), d)
}
