package tensorlib

// Indexing ops: IndexSelect, Gather, Scatter, ScatterAdd, MaskedFill and the
// kernels they share.

// checkIndexTensor panics unless idx is an Int64 tensor.
func checkIndexTensor(op string, idx *Tensor) {
	if idx.dtype != Int64 {
		failShapes(op, [][]int{idx.shape}, "expected an Int64 index tensor, got %v", idx.dtype)
	}
}

// wrapIndices returns idx's values with negative entries wrapped, panicking
// when any is out of [-n, n).
func wrapIndices(op string, idx *Tensor, n int, shape []int) []int64 {
	vals := idx.Int64s()
	for i, v := range vals {
		if v < -int64(n) || v >= int64(n) {
			failShapes(op, [][]int{shape, idx.shape}, "index %d is out of bounds for dimension with size %d", v, n)
		}
		if v < 0 {
			vals[i] = v + int64(n)
		}
	}
	return vals
}

// IndexSelect returns the entries of t along dim at the positions in the 1-D
// Int64 tensor index.
func (t *Tensor) IndexSelect(dim int, index *Tensor) *Tensor {
	checkIndexTensor("IndexSelect", index)
	if len(index.shape) > 1 {
		failShapes("IndexSelect", [][]int{t.shape, index.shape}, "index_select(): Index is supposed to be a vector")
	}
	d := t.normDim("IndexSelect", dim)
	n := 1
	if len(t.shape) > 0 {
		n = t.shape[d]
	}
	idx := wrapIndices("IndexSelect", index, n, t.shape)
	out := indexSelectKernel(t, d, idx)
	if needsGrad(t) {
		in := t.shape
		record(out, "IndexSelectBackward0", []*Tensor{t, nil}, []*Tensor{index}, func(g *Tensor) []*Tensor {
			return []*Tensor{indexAddKernel(New(g.dtype, in...), d, idx, g)}
		})
	}
	return out
}

// indexSelectKernel copies the slices t[..., idx[i], ...] along d.
func indexSelectKernel(t *Tensor, d int, idx []int64) *Tensor {
	if len(t.shape) == 0 {
		return t.Detach().Clone()
	}
	shape := t.Shape()
	shape[d] = len(idx)
	out := newTensor(t.dtype, shape)
	src := t.Detach()
	dst := out.Detach()
	for i, v := range idx {
		dst.Select(d, i).assign(src.Select(d, int(v)))
	}
	return out
}

// indexAddKernel adds the slices of src along d into dst[..., idx[i], ...]
// (in place) and returns dst.
func indexAddKernel(dst *Tensor, d int, idx []int64, src *Tensor) *Tensor {
	if len(dst.shape) == 0 {
		for range idx {
			dst.assign(dst.Add(src))
		}
		return dst
	}
	for i, v := range idx {
		slot := dst.Select(d, int(v))
		slot.assign(slot.Add(src.Select(d, i)))
	}
	return dst
}

// Gather returns out[i][j][k] = t[index[i][j][k]][j][k] (for dim 0; likewise
// for other dims). index has t's rank and no larger sizes outside dim.
func (t *Tensor) Gather(dim int, index *Tensor) *Tensor {
	checkIndexTensor("Gather", index)
	d := t.normDim("Gather", dim)
	checkScatterShapes("Gather", t, index, nil, d)
	out := newTensor(t.dtype, index.shape)
	idx := index.Contiguous()
	switch t.dtype {
	case Float32:
		gatherKernel(dataOf[float32](out), dataOf[float32](t), t, idx, d)
	case Float64:
		gatherKernel(dataOf[float64](out), dataOf[float64](t), t, idx, d)
	case Int64:
		gatherKernel(dataOf[int64](out), dataOf[int64](t), t, idx, d)
	case Bool:
		gatherKernel(dataOf[bool](out), dataOf[bool](t), t, idx, d)
	}
	if needsGrad(t) {
		in := t.shape
		record(out, "GatherBackward0", []*Tensor{t, nil}, []*Tensor{index}, func(g *Tensor) []*Tensor {
			return []*Tensor{New(g.dtype, in...).scatterKernel(d, index, g, true)}
		})
	}
	return out
}

// checkScatterShapes validates index (and src) against t for dim d.
func checkScatterShapes(op string, t, index, src *Tensor, d int) {
	shapes := [][]int{t.shape, index.shape}
	if src != nil {
		shapes = append(shapes, src.shape)
	}
	if len(index.shape) != len(t.shape) {
		failShapes(op, shapes, "index tensor must have the same number of dimensions as input tensor")
	}
	for i := range index.shape {
		if i != d && index.shape[i] > t.shape[i] {
			failShapes(op, shapes, "size of dimension %d of index (%d) exceeds the input's (%d)", i, index.shape[i], t.shape[i])
		}
		if src != nil && (len(src.shape) != len(index.shape) || index.shape[i] > src.shape[i]) {
			failShapes(op, shapes, "index's size must not exceed src's in any dimension")
		}
	}
}

// forEachIndexed visits every element of the contiguous index tensor,
// passing the element's position and coordinates.
func forEachIndexed(index *Tensor, fn func(pos int, coord []int)) {
	coord := make([]int, len(index.shape))
	n := index.Numel()
	for pos := 0; pos < n; pos++ {
		fn(pos, coord)
		for d := len(coord) - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < index.shape[d] {
				break
			}
			coord[d] = 0
		}
	}
}

// scatterOffset returns the storage offset of coord in t with coord[d]
// replaced by i, checking i's range.
func scatterOffset(op string, t *Tensor, coord []int, d int, i int64) int {
	n := int64(t.shape[d])
	if i < -n || i >= n {
		failShapes(op, [][]int{t.shape}, "index %d is out of bounds for dimension %d with size %d", i, d, n)
	}
	if i < 0 {
		i += n
	}
	off := t.offset
	for k, c := range coord {
		if k == d {
			off += int(i) * t.strides[k]
		} else {
			off += c * t.strides[k]
		}
	}
	return off
}

func gatherKernel[T any](out, src []T, t, index *Tensor, d int) {
	iv := contiguousData[int64](index)
	forEachIndexed(index, func(pos int, coord []int) {
		out[pos] = src[scatterOffset("Gather", t, coord, d, iv[pos])]
	})
}

// Scatter returns a copy of t with src's values written at out[index[i][j]][j]
// = src[i][j] (for dim 0; likewise for other dims).
func (t *Tensor) Scatter(dim int, index, src *Tensor) *Tensor {
	return t.scatterOp("Scatter", "ScatterBackward0", dim, index, src, false)
}

// ScatterAdd returns a copy of t with src's values added at the positions
// index gives along dim.
func (t *Tensor) ScatterAdd(dim int, index, src *Tensor) *Tensor {
	return t.scatterOp("ScatterAdd", "ScatterAddBackward0", dim, index, src, true)
}

func (t *Tensor) scatterOp(op, name string, dim int, index, src *Tensor, add bool) *Tensor {
	checkIndexTensor(op, index)
	d := t.normDim(op, dim)
	checkScatterShapes(op, t, index, src, d)
	out := t.Detach().Clone().scatterKernel(d, index, src, add)
	if needsGrad(t, src) {
		record(out, name, []*Tensor{t, nil, src}, []*Tensor{index}, func(g *Tensor) []*Tensor {
			gs := g
			if !add {
				gs = g.scatterKernel(d, index, ZerosLike(src).To(g.dtype), false)
			}
			var gsrc *Tensor
			if src.RequiresGrad() {
				gsrc = g.Gather(d, index).To(src.dtype)
			}
			return []*Tensor{gs, nil, gsrc}
		})
	}
	return out
}

// scatterKernel writes (or adds) src's values into a copy of t at index along
// d and returns the copy. t itself is not modified.
func (t *Tensor) scatterKernel(d int, index, src *Tensor, add bool) *Tensor {
	out := t.Detach().Clone()
	s := src.castForKernel(t.dtype)
	idx := index.Contiguous()
	switch t.dtype {
	case Float32:
		scatterKernelT(dataOf[float32](out), dataOf[float32](s), out, s, idx, d, add)
	case Float64:
		scatterKernelT(dataOf[float64](out), dataOf[float64](s), out, s, idx, d, add)
	case Int64:
		scatterKernelT(dataOf[int64](out), dataOf[int64](s), out, s, idx, d, add)
	case Bool:
		if add {
			unsupported("ScatterAdd", t)
		}
		scatterKernelT(dataOf[bool](out), dataOf[bool](s), out, s, idx, d, false)
	}
	return out
}

func scatterKernelT[T any](dst, src []T, out, s, index *Tensor, d int, add bool) {
	iv := contiguousData[int64](index)
	op := "Scatter"
	if add {
		op = "ScatterAdd"
	}
	forEachIndexed(index, func(pos int, coord []int) {
		so := s.offset
		for k, c := range coord {
			so += c * s.strides[k]
		}
		o := scatterOffset(op, out, coord, d, iv[pos])
		if add {
			dst[o] = addAny(dst[o], src[so])
		} else {
			dst[o] = src[so]
		}
	})
}

// addAny adds two numeric values of the same dynamic type.
func addAny[T any](a, b T) T {
	switch x := any(a).(type) {
	case float32:
		return any(x + any(b).(float32)).(T)
	case float64:
		return any(x + any(b).(float64)).(T)
	case int64:
		return any(x + any(b).(int64)).(T)
	}
	return a
}

// MaskedFill returns a copy of t with value wherever the Bool mask
// (broadcastable to t) is true.
func (t *Tensor) MaskedFill(mask *Tensor, value float64) *Tensor {
	if mask.dtype != Bool {
		failShapes("MaskedFill", [][]int{t.shape, mask.shape}, "expected a Bool mask, got %v", mask.dtype)
	}
	if !sameShape(broadcastShapes("MaskedFill", t.shape, mask.shape), t.shape) {
		failShapes("MaskedFill", [][]int{t.shape, mask.shape}, "mask must be broadcastable to the tensor's shape")
	}
	out := Where(mask, scalarTensor(value, t.dtype), t.Detach())
	if needsGrad(t) {
		record(out, "MaskedFillBackward0", []*Tensor{t}, []*Tensor{mask}, func(g *Tensor) []*Tensor {
			return []*Tensor{Where(mask, ZerosLike(g), g)}
		})
	}
	return out
}
