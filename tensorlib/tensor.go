package tensorlib

// storage is one typed buffer shared by a tensor and all its views.
// data is a []float32, []float64, []int64 or []bool. version counts in-place
// modifications, so autograd can detect tensors changed after being saved.
type storage struct {
	data    any
	version int
}

// Tensor is an n-dimensional array: a strided view over shared storage, with
// autograd metadata. The zero value is not usable; create tensors with the
// constructors (Zeros, FromFloat32s, Randn, …) or ops.
type Tensor struct {
	dtype   DType
	shape   []int
	strides []int
	offset  int
	st      *storage

	requiresGrad bool // set on leaves by SetRequiresGrad
	grad         *Tensor
	gradFn       *Node // nil for leaves
	accNode      *Node // the AccumulateGrad node of a leaf, made on first use
	retainsGrad  bool
	base         *Tensor // the tensor this one views, nil if it owns its storage
	name         string
}

// newTensor allocates a contiguous zero-filled tensor.
func newTensor(dtype DType, shape []int) *Tensor {
	checkAlloc(dtype, shape)
	n := numelOf(shape)
	var data any
	switch dtype {
	case Float32:
		data = make([]float32, n)
	case Float64:
		data = make([]float64, n)
	case Int64:
		data = make([]int64, n)
	case Bool:
		data = make([]bool, n)
	default:
		fail("New", "unknown dtype %v", dtype)
	}
	return fromData(dtype, data, shape)
}

// fromData wraps a typed slice (not copied) as a contiguous tensor.
func fromData(dtype DType, data any, shape []int) *Tensor {
	// The shape and the strides share one allocation.
	n := len(shape)
	buf := make([]int, 2*n)
	sh, st := buf[:n:n], buf[n:]
	copy(sh, shape)
	acc := 1
	for i := n - 1; i >= 0; i-- {
		st[i] = acc
		acc *= sh[i]
	}
	return &Tensor{dtype: dtype, shape: sh, strides: st, st: &storage{data: data}}
}

// DType returns the tensor's element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns a copy of the tensor's shape.
func (t *Tensor) Shape() []int { return append([]int{}, t.shape...) }

// Size returns the size of dimension dim (negative counts from the end).
func (t *Tensor) Size(dim int) int { return t.shape[t.normDim("Size", dim)] }

// Strides returns a copy of the tensor's strides, in elements.
func (t *Tensor) Strides() []int { return append([]int{}, t.strides...) }

// Offset returns the position of the tensor's first element in its storage.
func (t *Tensor) Offset() int { return t.offset }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { return len(t.shape) }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return numelOf(t.shape) }

// IsContiguous reports whether the elements are laid out in row-major order
// without gaps (size-1 dimensions may have any stride).
func (t *Tensor) IsContiguous() bool {
	expected := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 1 {
			continue
		}
		if t.strides[i] != expected {
			return false
		}
		expected *= t.shape[i]
	}
	return true
}

// SharesStorage reports whether t and u are views of the same storage.
func (t *Tensor) SharesStorage(u *Tensor) bool { return t.st == u.st }

// Version returns the storage's in-place modification count, shared by all
// views (PyTorch's _version).
func (t *Tensor) Version() int { return t.st.version }

// Name returns the name set by SetName, used by graph views.
func (t *Tensor) Name() string { return t.name }

// SetName names the tensor for graph views and returns t.
func (t *Tensor) SetName(name string) *Tensor { t.name = name; return t }

// IsView reports whether t is a view of another tensor's storage.
func (t *Tensor) IsView() bool { return t.base != nil }

// contiguousStrides returns row-major strides for shape.
func contiguousStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// numelOf returns the product of shape's sizes.
func numelOf(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// view returns a tensor sharing t's storage with a new geometry.
func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	base := t
	if t.base != nil {
		base = t.base
	}
	return &Tensor{dtype: t.dtype, shape: shape, strides: strides, offset: offset, st: t.st, base: base}
}

// normDim converts a possibly negative dimension into [0, Dim()).
func (t *Tensor) normDim(op string, dim int) int {
	return normDimN(op, dim, len(t.shape), t.shape)
}

// normDimN wraps dim for a tensor of rank n, panicking when out of range.
func normDimN(op string, dim, n int, shape []int) int {
	lo, hi := -n, n-1
	if n == 0 {
		lo, hi = -1, 0
	}
	if dim < lo || dim > hi {
		failShapes(op, [][]int{shape}, "dimension out of range (expected to be in range of [%d, %d], but got %d)", lo, hi, dim)
	}
	if dim < 0 {
		dim += max(n, 1)
	}
	return dim
}

// sameShape reports whether a and b are equal shapes.
func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// broadcastShapes returns the broadcast of a and b, panicking for op when
// they are incompatible. It may return a itself: callers must not modify
// the result.
func broadcastShapes(op string, a, b []int) []int {
	if sameShape(a, b) {
		return a // the common case; callers do not modify the result
	}
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			failShapes(op, [][]int{a, b}, "the size of tensor a (%d) must match the size of tensor b (%d) at non-singleton dimension %d", da, db, i)
		}
	}
	return out
}

// broadcastStrides returns t's strides for reading it as shape (stride 0 on
// broadcast dimensions). shape must be a broadcast of t's shape.
func (t *Tensor) broadcastStrides(shape []int) []int {
	out := make([]int, len(shape))
	off := len(shape) - len(t.shape)
	for i := range t.shape {
		if t.shape[i] != 1 || shape[off+i] == 1 {
			out[off+i] = t.strides[i]
		}
	}
	return out
}
