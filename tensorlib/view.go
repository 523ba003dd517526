package tensorlib

// View and shape ops. Views share storage with their input; their gradients
// map the output gradient back onto the input's geometry.

// inferShape resolves a single -1 in shape for n elements.
func inferShape(op string, shape []int, n int, from []int) []int {
	out := append([]int{}, shape...)
	neg := -1
	prod := 1
	for i, s := range out {
		switch {
		case s == -1:
			if neg >= 0 {
				fail(op, "only one dimension can be inferred")
			}
			neg = i
		case s < 0:
			failShapes(op, [][]int{from, shape}, "invalid shape dimension %d", s)
		default:
			prod *= s
		}
	}
	if neg >= 0 {
		if prod == 0 || n%prod != 0 {
			failShapes(op, [][]int{from, shape}, "shape '%s' is invalid for input of size %d", shapeString(shape), n)
		}
		out[neg] = n / prod
	} else if prod != n {
		failShapes(op, [][]int{from, shape}, "shape '%s' is invalid for input of size %d", shapeString(shape), n)
	}
	return out
}

// viewStrides computes strides for viewing (shape, strides) as newShape
// without copying, as PyTorch's computeStride does; ok is false when the
// memory layout does not allow it.
func viewStrides(shape, strides, newShape []int) ([]int, bool) {
	out := make([]int, len(newShape))
	if numelOf(shape) == 0 {
		return contiguousStrides(newShape), true
	}
	if len(shape) == 0 {
		for i := range out {
			out[i] = 1
		}
		return out, true
	}
	viewD := len(newShape) - 1
	chunkBase := 0
	if len(strides) > 0 {
		chunkBase = strides[len(strides)-1]
	}
	tensorElems, viewElems := 1, 1
	for d := len(shape) - 1; d >= 0; d-- {
		tensorElems *= shape[d]
		if d == 0 || (shape[d-1] != 1 && strides[d-1] != tensorElems*chunkBase) {
			for viewD >= 0 && (viewElems < tensorElems || newShape[viewD] == 1) {
				out[viewD] = viewElems * chunkBase
				viewElems *= newShape[viewD]
				viewD--
			}
			if viewElems != tensorElems {
				return nil, false
			}
			if d > 0 {
				chunkBase = strides[d-1]
				tensorElems, viewElems = 1, 1
			}
		}
	}
	if viewD != -1 {
		return nil, false
	}
	return out, true
}

// View returns t with a new shape sharing its storage (one size may be -1).
// It panics when the layout does not allow a view; Reshape copies then.
func (t *Tensor) View(shape ...int) *Tensor {
	ns := inferShape("View", shape, t.Numel(), t.shape)
	st, ok := viewStrides(t.shape, t.strides, ns)
	if !ok {
		failShapes("View", [][]int{t.shape, ns}, "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use Reshape instead")
	}
	return t.viewOp("ViewBackward0", ns, st, t.offset)
}

// Reshape returns t with a new shape (one size may be -1): a view when the
// layout allows, a copy otherwise.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	ns := inferShape("Reshape", shape, t.Numel(), t.shape)
	if st, ok := viewStrides(t.shape, t.strides, ns); ok {
		return t.viewOp("ReshapeAliasBackward0", ns, st, t.offset)
	}
	c := t.Clone()
	return c.viewOp("UnsafeViewBackward0", ns, contiguousStrides(ns), 0)
}

// viewOp makes a view of t and records a gradient that reshapes back.
func (t *Tensor) viewOp(name string, shape, strides []int, offset int) *Tensor {
	out := t.view(shape, strides, offset)
	if needsGrad(t) {
		in := t.shape
		record(out, name, []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{g.Reshape(in...)} })
	}
	return out
}

// Flatten merges dimensions into one: all of them with no arguments,
// start..last with one, start..end (inclusive) with two. When start and end
// are the same dimension t itself is returned.
func (t *Tensor) Flatten(dims ...int) *Tensor {
	if len(t.shape) == 0 {
		return t.Reshape(1)
	}
	start, end := 0, -1
	switch len(dims) {
	case 0:
	case 1:
		start = dims[0]
	case 2:
		start, end = dims[0], dims[1]
	default:
		fail("Flatten", "expected at most 2 dimensions (start, end), got %d", len(dims))
	}
	start, end = t.normDim("Flatten", start), t.normDim("Flatten", end)
	if start > end {
		fail("Flatten", "start_dim cannot come after end_dim")
	}
	if start == end {
		return t
	}
	ns := append([]int{}, t.shape[:start]...)
	ns = append(ns, numelOf(t.shape[start:end+1]))
	ns = append(ns, t.shape[end+1:]...)
	return t.Reshape(ns...)
}

// Transpose swaps dimensions d0 and d1.
func (t *Tensor) Transpose(d0, d1 int) *Tensor {
	d0, d1 = t.normDim("Transpose", d0), t.normDim("Transpose", d1)
	shape, strides := t.Shape(), t.Strides()
	shape[d0], shape[d1] = shape[d1], shape[d0]
	strides[d0], strides[d1] = strides[d1], strides[d0]
	out := t.view(shape, strides, t.offset)
	if needsGrad(t) {
		record(out, "TransposeBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{g.Transpose(d0, d1)} })
	}
	return out
}

// T transposes a matrix (a tensor of at most 2 dimensions; tensors of fewer
// are returned as an unchanged view).
func (t *Tensor) T() *Tensor {
	if len(t.shape) > 2 {
		failShapes("T", [][]int{t.shape}, "expects a tensor with <= 2 dimensions, but self is %dD", len(t.shape))
	}
	shape, strides := t.Shape(), t.Strides()
	if len(shape) == 2 {
		shape[0], shape[1] = shape[1], shape[0]
		strides[0], strides[1] = strides[1], strides[0]
	}
	out := t.view(shape, strides, t.offset)
	if needsGrad(t) {
		record(out, "TBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{g.T()} })
	}
	return out
}

// Permute reorders the dimensions: output dimension i is input dimension dims[i].
func (t *Tensor) Permute(dims ...int) *Tensor {
	if len(dims) != len(t.shape) {
		failShapes("Permute", [][]int{t.shape}, "number of dims don't match in permute (got %d for a %dD tensor)", len(dims), len(t.shape))
	}
	seen := make([]bool, len(dims))
	shape, strides := make([]int, len(dims)), make([]int, len(dims))
	inv := make([]int, len(dims))
	for i, d := range dims {
		d = t.normDim("Permute", d)
		if seen[d] {
			fail("Permute", "repeated dim %d in permute", d)
		}
		seen[d] = true
		shape[i], strides[i] = t.shape[d], t.strides[d]
		inv[d] = i
	}
	out := t.view(shape, strides, t.offset)
	if needsGrad(t) {
		record(out, "PermuteBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{g.Permute(inv...)} })
	}
	return out
}

// Narrow returns the view t[..., start:start+length, ...] along dim.
func (t *Tensor) Narrow(dim, start, length int) *Tensor {
	d := t.normDim("Narrow", dim)
	if start < 0 {
		start += t.shape[d]
	}
	if start < 0 || length < 0 || start+length > t.shape[d] {
		failShapes("Narrow", [][]int{t.shape}, "start (%d) + length (%d) exceeds dimension size (%d)", start, length, t.shape[d])
	}
	return t.Slice(dim, start, start+length, 1)
}

// Slice returns the view t[..., start:end:step, ...] along dim, with
// Python's rules: negative start/end count from the end and are clamped.
// Use End for an open end. step must be positive.
func (t *Tensor) Slice(dim, start, end, step int) *Tensor {
	d := t.normDim("Slice", dim)
	if step <= 0 {
		fail("Slice", "slice step must be positive, got %d", step)
	}
	n := t.shape[d]
	start, end = clampSliceBound(start, n), clampSliceBound(end, n)
	length := 0
	if end > start {
		length = (end - start + step - 1) / step
	}
	shape, strides := t.Shape(), t.Strides()
	shape[d] = length
	strides[d] *= step
	offset := t.offset
	if length > 0 {
		offset += start * t.strides[d]
	}
	out := t.view(shape, strides, offset)
	if needsGrad(t) {
		in := t.shape
		record(out, "SliceBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor {
			z := New(g.dtype, in...)
			z.Slice(d, start, end, step).assign(g)
			return []*Tensor{z}
		})
	}
	return out
}

// End is an open slice bound: Slice(dim, 1, End, 1) is t[1:].
const End = int(^uint(0) >> 1)

func clampSliceBound(i, n int) int {
	if i < 0 {
		i += n
	}
	return max(0, min(i, n))
}

// Select returns the view t[..., index, ...] along dim, removing that dimension.
func (t *Tensor) Select(dim, index int) *Tensor {
	d := t.normDim("Select", dim)
	n := t.shape[d]
	if index < -n || index >= n {
		failShapes("Select", [][]int{t.shape}, "index %d is out of bounds for dimension %d with size %d", index, d, n)
	}
	if index < 0 {
		index += n
	}
	shape := append(append([]int{}, t.shape[:d]...), t.shape[d+1:]...)
	strides := append(append([]int{}, t.strides[:d]...), t.strides[d+1:]...)
	out := t.view(shape, strides, t.offset+index*t.strides[d])
	if needsGrad(t) {
		in := t.shape
		record(out, "SelectBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor {
			z := New(g.dtype, in...)
			z.Select(d, index).assign(g)
			return []*Tensor{z}
		})
	}
	return out
}

// Expand returns a view broadcasting size-1 dimensions to shape (-1 keeps a
// size; new leading dimensions may be added).
func (t *Tensor) Expand(shape ...int) *Tensor {
	if len(shape) < len(t.shape) {
		failShapes("Expand", [][]int{t.shape, shape}, "the number of sizes provided (%d) must be greater or equal to the number of dimensions in the tensor (%d)", len(shape), len(t.shape))
	}
	ns := append([]int{}, shape...)
	st := make([]int, len(shape))
	lead := len(shape) - len(t.shape)
	for i := range ns {
		j := i - lead
		if j < 0 {
			if ns[i] < 0 {
				failShapes("Expand", [][]int{t.shape, shape}, "the expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension %d", i)
			}
			continue
		}
		if ns[i] == -1 {
			ns[i] = t.shape[j]
		}
		switch {
		case t.shape[j] == ns[i]:
			st[i] = t.strides[j]
		case t.shape[j] == 1:
			st[i] = 0
		default:
			failShapes("Expand", [][]int{t.shape, shape}, "the expanded size of the tensor (%d) must match the existing size (%d) at non-singleton dimension %d", ns[i], t.shape[j], i)
		}
	}
	out := t.view(ns, st, t.offset)
	if needsGrad(t) {
		in := t.shape
		record(out, "ExpandBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{g.sumTo(in)} })
	}
	return out
}

// ExpandAs expands t to other's shape.
func (t *Tensor) ExpandAs(other *Tensor) *Tensor { return t.Expand(other.shape...) }

// Squeeze removes size-1 dimensions: all of them, or only those listed.
func (t *Tensor) Squeeze(dims ...int) *Tensor {
	drop := make([]bool, len(t.shape))
	if len(dims) == 0 {
		for i, s := range t.shape {
			drop[i] = s == 1
		}
	}
	for _, d := range dims {
		d = t.normDim("Squeeze", d)
		if len(t.shape) > 0 { // a 0-dim tensor accepts dim 0 or -1 and stays as is
			drop[d] = t.shape[d] == 1
		}
	}
	var shape, strides []int
	for i := range t.shape {
		if !drop[i] {
			shape = append(shape, t.shape[i])
			strides = append(strides, t.strides[i])
		}
	}
	name := "SqueezeBackward0"
	if len(dims) > 0 {
		name = "SqueezeBackward1"
	}
	return t.viewOp(name, shape, strides, t.offset)
}

// Unsqueeze inserts a size-1 dimension at dim (in [-Dim()-1, Dim()]).
func (t *Tensor) Unsqueeze(dim int) *Tensor {
	n := len(t.shape) + 1
	if dim < -n || dim >= n {
		failShapes("Unsqueeze", [][]int{t.shape}, "dimension out of range (expected to be in range of [%d, %d], but got %d)", -n, n-1, dim)
	}
	if dim < 0 {
		dim += n
	}
	stride := 1
	if dim < len(t.shape) {
		stride = t.strides[dim] * t.shape[dim]
	}
	shape := append(append(append([]int{}, t.shape[:dim]...), 1), t.shape[dim:]...)
	strides := append(append(append([]int{}, t.strides[:dim]...), stride), t.strides[dim:]...)
	return t.viewOp("UnsqueezeBackward0", shape, strides, t.offset)
}

// Contiguous returns t when its layout is contiguous, otherwise a contiguous
// copy (differentiable).
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a contiguous copy of t (differentiable: CloneBackward0).
func (t *Tensor) Clone() *Tensor {
	out := fromData(t.dtype, convertTo(t, t.dtype), t.shape)
	if needsGrad(t) {
		record(out, "CloneBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{g} })
	}
	return out
}

// assign copies src (broadcast to t's shape, converted to t's dtype) into the
// elements of t's view, outside the autograd graph.
func (t *Tensor) assign(src *Tensor) {
	s := src.castForKernel(t.dtype)
	if !sameShape(broadcastShapes("Copy", t.shape, s.shape), t.shape) {
		failShapes("Copy", [][]int{t.shape, src.shape}, "source cannot be broadcast to the destination's shape")
	}
	ss := s.broadcastStrides(t.shape)
	switch d := t.st.data.(type) {
	case []float32:
		assignKernel(d, t, dataOf[float32](s), ss, s.offset)
	case []float64:
		assignKernel(d, t, dataOf[float64](s), ss, s.offset)
	case []int64:
		assignKernel(d, t, dataOf[int64](s), ss, s.offset)
	case []bool:
		assignKernel(d, t, dataOf[bool](s), ss, s.offset)
	}
}

// assignKernel copies src (read through srcStrides from srcOff) into t's
// elements of dst. A large copy between two contiguous layouts of
// different storages is split across threads (memmove on one core does
// not use the machine's bandwidth); within one storage, where the two may
// overlap, it stays one memmove per row.
func assignKernel[T any](dst []T, t *Tensor, src []T, srcStrides []int, srcOff int) {
	if n := t.Numel(); n >= cheapParallelMin && &dst[0] != &src[0] {
		if cs, st := coalesce(t.shape, [][]int{t.strides, srcStrides}); len(cs) == 1 && st[0][0] == 1 && st[1][0] == 1 {
			d, s := dst[t.offset:t.offset+n], src[srcOff:srcOff+n]
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				copy(d[lo:hi], s[lo:hi])
			})
			return
		}
	}
	forEachRow(t.shape, [][]int{t.strides, srcStrides}, []int{t.offset, srcOff}, func(offs, inner []int, n int) {
		do, so, ds, ss := offs[0], offs[1], inner[0], inner[1]
		if ds == 1 && ss == 1 {
			copy(dst[do:do+n], src[so:so+n])
			return
		}
		for i := 0; i < n; i++ {
			dst[do+i*ds] = src[so+i*ss]
		}
	})
}
