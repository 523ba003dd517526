package tensorlib

// dataOf returns t's storage as []T; T must match t's dtype.
func dataOf[T any](t *Tensor) []T { return t.st.data.([]T) }

// number is the set of numeric element types kernels are written over.
type number interface {
	~float32 | ~float64 | ~int64
}

// float is the set of floating-point element types.
type float interface{ ~float32 | ~float64 }

// contiguousData returns t's elements in row-major order as []T (t's dtype),
// sharing storage when t is already contiguous and starts at offset 0 with
// exactly Numel elements, copying otherwise. Callers must not modify it.
func contiguousData[T any](t *Tensor) []T {
	d := dataOf[T](t)
	n := t.Numel()
	if t.IsContiguous() {
		return d[t.offset : t.offset+n]
	}
	return gather(d, t.shape, t.strides, t.offset)
}

// convertTo returns t's elements converted to dtype as a fresh contiguous
// slice of that dtype.
func convertTo(t *Tensor, dtype DType) any {
	switch t.dtype {
	case Float32:
		return convertFrom(contiguousData[float32](t), dtype)
	case Float64:
		return convertFrom(contiguousData[float64](t), dtype)
	case Int64:
		return convertFrom(contiguousData[int64](t), dtype)
	default:
		src := contiguousData[bool](t)
		switch dtype {
		case Bool:
			return append([]bool{}, src...)
		case Float32:
			return boolsTo[float32](src)
		case Float64:
			return boolsTo[float64](src)
		default:
			return boolsTo[int64](src)
		}
	}
}

// convertFrom converts numeric values to a new slice of dtype.
func convertFrom[S number](src []S, dtype DType) any {
	switch dtype {
	case Float32:
		return convertSlice[S, float32](src)
	case Float64:
		return convertSlice[S, float64](src)
	case Int64:
		return convertSlice[S, int64](src)
	default:
		out := make([]bool, len(src))
		for i, v := range src {
			out[i] = v != 0
		}
		return out
	}
}

func convertSlice[S, D number](src []S) []D {
	out := makeUninit[D](len(src))
	parallelFor(len(src), cheapParallelMin, cheapChunk, func(lo, hi int) {
		convertInto(out[lo:hi], src[lo:hi])
	})
	return out
}

// convertInto converts s into d: a copy within one type, with the vector
// kernels between float32 and float64, elementwise otherwise.
func convertInto[S, D number](d []D, s []S) {
	if same, ok := any(s).([]D); ok {
		copy(d, same) // a clone: memmove's speed
		return
	}
	switch dv := any(d).(type) {
	case []float64:
		if sv, ok := any(s).([]float32); ok {
			cvtF32F64(dv, sv)
			return
		}
	case []float32:
		if sv, ok := any(s).([]float64); ok {
			cvtF64F32(dv, sv)
			return
		}
	}
	cvtGo(d, s)
}

// cvtGo converts s into d elementwise.
func cvtGo[S, D number](d []D, s []S) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = D(v)
	}
}

// cvtF32F64 and cvtF64F32 convert between the float types (AVX where the
// CPU allows, kernels_amd64.go).
var (
	cvtF32F64 = cvtGo[float32, float64]
	cvtF64F32 = cvtGo[float64, float32]
)

func boolsTo[D number](src []bool) []D {
	out := make([]D, len(src))
	for i, v := range src {
		if v {
			out[i] = 1
		}
	}
	return out
}

// Float32s returns the elements in row-major order converted to float32.
func (t *Tensor) Float32s() []float32 { return convertTo(t, Float32).([]float32) }

// Float64s returns the elements in row-major order converted to float64.
func (t *Tensor) Float64s() []float64 { return convertTo(t, Float64).([]float64) }

// Int64s returns the elements in row-major order converted to int64
// (floating-point values are truncated toward zero).
func (t *Tensor) Int64s() []int64 { return convertTo(t, Int64).([]int64) }

// Bools returns the elements in row-major order as booleans (non-zero is true).
func (t *Tensor) Bools() []bool { return convertTo(t, Bool).([]bool) }

// Item returns the value of a one-element tensor as float64 (booleans as 0 or
// 1). It panics with *Error for tensors of any other size.
func (t *Tensor) Item() float64 {
	if t.Numel() != 1 {
		failShapes("Item", [][]int{t.shape}, "a Tensor with %d elements cannot be converted to Scalar", t.Numel())
	}
	return t.Float64s()[0]
}

// at returns the element at flat row-major position i as float64 (for
// printing and tests; slow).
func (t *Tensor) at(i int) float64 {
	pos := t.offset
	for d := len(t.shape) - 1; d >= 0; d-- {
		pos += (i % t.shape[d]) * t.strides[d]
		i /= t.shape[d]
	}
	switch d := t.st.data.(type) {
	case []float32:
		return float64(d[pos])
	case []float64:
		return d[pos]
	case []int64:
		return float64(d[pos])
	case []bool:
		if d[pos] {
			return 1
		}
	}
	return 0
}

// To returns t converted to dtype: t itself when it already has that dtype,
// otherwise a new contiguous tensor (differentiable between float dtypes).
func (t *Tensor) To(dtype DType) *Tensor {
	if t.dtype == dtype {
		return t
	}
	out := fromData(dtype, convertTo(t, dtype), t.shape)
	if dtype.IsFloat() && t.dtype.IsFloat() && needsGrad(t) {
		src := t.dtype
		record(out, "ToCopyBackward0", []*Tensor{t}, nil, func(g *Tensor) []*Tensor {
			return []*Tensor{g.To(src)}
		})
	}
	return out
}
