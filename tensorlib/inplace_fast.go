package tensorlib

import "math"

// The fast paths of the in-place arithmetic ops: when fusedFast allows (t
// and the operand contiguous, of one float dtype and t's shape, no
// autograd node to record), the op's row kernel runs over t's storage
// directly, reading each element before writing it, instead of computing
// a new tensor and copying it into t. The kernels are the out-of-place
// ops' own, so the values are the same bits.

// inPlaceBinaryFast computes t = t op b in one pass and reports whether it
// could (otherwise t is unchanged). b may broadcast to t's shape (a bias
// row added to every row of a batch) and have any strides; it must have
// t's dtype and share no storage with t unless it is t's own elements.
func (t *Tensor) inPlaceBinaryFast(op binOp, b *Tensor) bool {
	dt, ok := fusedFast(t)
	if !ok || b.dtype != dt || needsGrad(b) || !broadcastsTo(b.shape, t.shape) {
		return false
	}
	if b.st == t.st {
		if _, same := fusedFast(t, b); !same {
			return false
		}
	}
	n := t.Numel()
	shape, ts, bs := t.shape, contiguousStrides(t.shape), b.broadcastStrides(t.shape)
	switch dt {
	case Float32:
		d := dataOf[float32](t)
		ewBinary(&kern32, op, d[t.offset:t.offset+n], d, ts, t.offset, dataOf[float32](b), bs, b.offset, shape)
	case Float64:
		d := dataOf[float64](t)
		ewBinary(&kern64, op, d[t.offset:t.offset+n], d, ts, t.offset, dataOf[float64](b), bs, b.offset, shape)
	}
	t.st.version++
	return true
}

// inPlaceScalarFast computes t = t op s in one pass and reports whether it
// could. s is rounded to t's dtype, as MulScalar and the other scalar ops
// do for a float tensor.
func (t *Tensor) inPlaceScalarFast(op binOp, s float64) bool {
	dt, ok := fusedFast(t)
	if !ok {
		return false
	}
	n := t.Numel()
	shape, unit, bcast := []int{n}, []int{1}, []int{0}
	switch dt {
	case Float32:
		d := dataOf[float32](t)
		ewBinary(&kern32, op, d[t.offset:t.offset+n], d, unit, t.offset, []float32{float32(s)}, bcast, 0, shape)
	case Float64:
		d := dataOf[float64](t)
		ewBinary(&kern64, op, d[t.offset:t.offset+n], d, unit, t.offset, []float64{s}, bcast, 0, shape)
	}
	t.st.version++
	return true
}

// inPlaceUnaryFast computes t = op(t) in one pass and reports whether it
// could.
func (t *Tensor) inPlaceUnaryFast(op unOp) bool {
	dt, ok := fusedFast(t)
	if !ok {
		return false
	}
	n := t.Numel()
	shape, unit := []int{n}, []int{1}
	switch dt {
	case Float32:
		d := dataOf[float32](t)
		ewUnary(&kern32, op, d[t.offset:t.offset+n], d, shape, unit, t.offset)
	case Float64:
		d := dataOf[float64](t)
		ewUnary(&kern64, op, d[t.offset:t.offset+n], d, shape, unit, t.offset)
	}
	t.st.version++
	return true
}

// inPlaceFillFast sets every element of t to v (rounded to t's dtype) in
// one pass and reports whether it could.
func (t *Tensor) inPlaceFillFast(v float64) bool {
	dt, ok := fusedFast(t)
	if !ok {
		return false
	}
	n := t.Numel()
	switch dt {
	case Float32:
		fillSlice(dataOf[float32](t)[t.offset:t.offset+n], float32(v))
	case Float64:
		fillSlice(dataOf[float64](t)[t.offset:t.offset+n], v)
	}
	t.st.version++
	return true
}

// fillSlice sets every element of d to v, splitting large slices between
// threads (clear, a memclr, for zeros).
func fillSlice[T float](d []T, v T) {
	parallelFor(len(d), cheapParallelMin, cheapChunk, func(lo, hi int) {
		if v == 0 && !math.Signbit(float64(v)) {
			clear(d[lo:hi])
			return
		}
		for i := range d[lo:hi] {
			d[lo+i] = v
		}
	})
}
