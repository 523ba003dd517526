package tensorlib

// PyTorch's fused in-place arithmetic: add_ with alpha, addcmul_ and
// addcdiv_. Optimizers are written with them (torch.optim's
// _single_tensor_* functions), so they are the hot loop of every training
// step; here each is one pass over its operands, with no temporaries.
//
// Rounding follows PyTorch 1.13's CPU kernels (the AVX2 build), which
// compute t.add_(b, alpha=α) and the last multiply-add of addcmul_ as fused
// multiply-adds: for float32, t + α·b and t + (v·b)·c are rounded once.
// We compute them in float64, where the product of two float32 values is
// exact, and round the sum once to float32 (a double rounding that differs
// from the fused result only in rare ties; this is what the optimizer golden
// tests were matched against). A Go scalar meets a float32 tensor as a
// float32 value (as in MulScalar). Float64 tensors are computed unfused,
// each operation rounded: t + float64(α·b).
//
// The fast path (a single kernel pass, fusedKernels) takes operands of t's
// dtype, Float32 or Float64, contiguous and of t's shape, when no autograd
// node is recorded. Anything else (broadcasting, strides, mixed dtypes,
// autograd) composes the differentiable ops that give the same values.

// AddScaledInPlace adds alpha·b to t in place and returns t: PyTorch's
// t.add_(b, alpha=alpha). b broadcasts to t's shape. For float32 tensors
// t + alpha·b is rounded once, as PyTorch's CPU kernel does.
func (t *Tensor) AddScaledInPlace(b *Tensor, alpha float64) *Tensor {
	const op = "AddScaledInPlace"
	checkFusedShapes(op, t, b)
	if k, ok := fusedFast(t, b); ok {
		n := t.Numel()
		switch k {
		case Float32:
			d, bs := dataOf[float32](t)[t.offset:][:n], dataOf[float32](b)[b.offset:][:n]
			a := float32(alpha)
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				fusedK.addScaled32(d[lo:hi], bs[lo:hi], a)
			})
		case Float64:
			d, bs := dataOf[float64](t)[t.offset:][:n], dataOf[float64](b)[b.offset:][:n]
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				addScaledGo64(d[lo:hi], bs[lo:hi], alpha)
			})
		}
		t.st.version++
		return t
	}
	return t.inPlace(op, func(x *Tensor) *Tensor {
		if alpha == 1 {
			return x.Add(b)
		}
		if x.dtype == Float32 && b.dtype == Float32 {
			s := float64(float32(alpha))
			return x.To(Float64).Add(b.To(Float64).MulScalar(s)).To(Float32)
		}
		return x.Add(b.MulScalar(alpha))
	})
}

// AddcmulInPlace adds value·b·c to t in place and returns t: PyTorch's
// t.addcmul_(b, c, value=value), computed as t + (value·b)·c. b and c
// broadcast to t's shape. For float32 tensors the final multiply-add is
// rounded once, as PyTorch's CPU kernel does.
func (t *Tensor) AddcmulInPlace(b, c *Tensor, value float64) *Tensor {
	const op = "AddcmulInPlace"
	checkFusedShapes(op, t, b, c)
	if k, ok := fusedFast(t, b, c); ok {
		n := t.Numel()
		switch k {
		case Float32:
			d, bs, cs := dataOf[float32](t)[t.offset:][:n], dataOf[float32](b)[b.offset:][:n], dataOf[float32](c)[c.offset:][:n]
			v := float32(value)
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				fusedK.addcmul32(d[lo:hi], bs[lo:hi], cs[lo:hi], v)
			})
		case Float64:
			d, bs, cs := dataOf[float64](t)[t.offset:][:n], dataOf[float64](b)[b.offset:][:n], dataOf[float64](c)[c.offset:][:n]
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				addcmulGo64(d[lo:hi], bs[lo:hi], cs[lo:hi], value)
			})
		}
		t.st.version++
		return t
	}
	return t.inPlace(op, func(x *Tensor) *Tensor {
		bv := b.MulScalar(value)
		if x.dtype == Float32 && bv.dtype == Float32 && c.dtype == Float32 {
			return x.To(Float64).Add(bv.To(Float64).Mul(c.To(Float64))).To(Float32)
		}
		return x.Add(bv.Mul(c))
	})
}

// AddcdivInPlace adds value·b/c to t in place and returns t: PyTorch's
// t.addcdiv_(b, c, value=value), computed as t + (value·b)/c with each
// operation rounded. b and c broadcast to t's shape; as in PyTorch, b and c
// must not both be integer tensors.
func (t *Tensor) AddcdivInPlace(b, c *Tensor, value float64) *Tensor {
	const op = "AddcdivInPlace"
	checkFusedShapes(op, t, b, c)
	if !b.dtype.IsFloat() && !c.dtype.IsFloat() {
		failShapes(op, [][]int{t.shape, b.shape, c.shape}, "integer division with addcdiv is not supported (dtypes %v and %v); use a floating-point tensor", b.dtype, c.dtype)
	}
	if k, ok := fusedFast(t, b, c); ok {
		n := t.Numel()
		switch k {
		case Float32:
			d, bs, cs := dataOf[float32](t)[t.offset:][:n], dataOf[float32](b)[b.offset:][:n], dataOf[float32](c)[c.offset:][:n]
			v := float32(value)
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				fusedK.addcdiv32(d[lo:hi], bs[lo:hi], cs[lo:hi], v)
			})
		case Float64:
			d, bs, cs := dataOf[float64](t)[t.offset:][:n], dataOf[float64](b)[b.offset:][:n], dataOf[float64](c)[c.offset:][:n]
			parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
				addcdivGo64(d[lo:hi], bs[lo:hi], cs[lo:hi], value)
			})
		}
		t.st.version++
		return t
	}
	return t.inPlace(op, func(x *Tensor) *Tensor { return x.Add(b.MulScalar(value).Div(c)) })
}

// checkFusedShapes panics with an *Error naming op unless the operands
// broadcast to t's shape (the output of an in-place op keeps t's shape).
func checkFusedShapes(op string, t *Tensor, operands ...*Tensor) {
	for _, o := range operands {
		if !broadcastsTo(o.shape, t.shape) {
			shapes := [][]int{t.shape}
			for _, o := range operands {
				shapes = append(shapes, o.shape)
			}
			failShapes(op, shapes, "output with shape %s doesn't match the broadcast shape of the operands", shapeString(t.shape))
		}
	}
}

// broadcastsTo reports whether shape s broadcasts to shape to without
// changing it.
func broadcastsTo(s, to []int) bool {
	if len(s) > len(to) {
		return false
	}
	for i := range s {
		d, e := s[len(s)-1-i], to[len(to)-1-i]
		if d != e && d != 1 {
			return false
		}
	}
	return true
}

// fusedFast reports whether an in-place op on t over operands can run as
// one kernel pass over contiguous data, and in which dtype: every operand
// has t's dtype (Float32 or Float64), t's shape and contiguous strides; no
// autograd node is recorded (grad mode off, or nothing requires grad, and t
// is not a view of a tensor requiring grad); and no operand overlaps t
// except exactly (the same elements, read before they are written).
func fusedFast(t *Tensor, operands ...*Tensor) (DType, bool) {
	if t.dtype != Float32 && t.dtype != Float64 || !t.IsContiguous() {
		return 0, false
	}
	if needsGrad(append([]*Tensor{t}, operands...)...) || IsGradEnabled() && t.base != nil && t.base.RequiresGrad() {
		return 0, false
	}
	for _, o := range operands {
		if o.dtype != t.dtype || !sameShape(o.shape, t.shape) || !o.IsContiguous() {
			return 0, false
		}
		if o.st == t.st && o.offset != t.offset {
			return 0, false
		}
	}
	return t.dtype, true
}

// fusedKernels are the float32 row kernels of the fused ops; every slice has
// len(d) elements and d is updated in place. The pure-Go versions below
// define the arithmetic; fused_amd64.go installs assembly that gives the
// same bits.
type fusedKernels struct {
	addScaled32 func(d, b []float32, alpha float32)
	addcmul32   func(d, b, c []float32, v float32)
	addcdiv32   func(d, b, c []float32, v float32)
}

// fusedK are the kernels in use.
var fusedK = goFusedKernels

// goFusedKernels are the pure-Go float32 kernels.
var goFusedKernels = fusedKernels{addScaled32: addScaledGo32, addcmul32: addcmulGo32, addcdiv32: addcdivGo32}

// addScaledGo32 is d = float32(d + alpha·b), the sum of float64 values (the
// product is exact) rounded once.
func addScaledGo32(d, b []float32, alpha float32) {
	b = b[:len(d)]
	a := float64(alpha)
	for i := range d {
		d[i] = float32(float64(d[i]) + float64(b[i])*a)
	}
}

// addcmulGo32 is d = float32(d + float32(v·b)·c): the scaling rounded to
// float32, the multiply-add rounded once.
func addcmulGo32(d, b, c []float32, v float32) {
	b, c = b[:len(d)], c[:len(d)]
	for i := range d {
		bv := float32(b[i] * v)
		d[i] = float32(float64(d[i]) + float64(bv)*float64(c[i]))
	}
}

// addcdivGo32 is d = d + (v·b)/c, each operation rounded to float32.
func addcdivGo32(d, b, c []float32, v float32) {
	b, c = b[:len(d)], c[:len(d)]
	for i := range d {
		d[i] += float32(b[i]*v) / c[i]
	}
}

// addScaledGo64 is d = d + alpha·b, each operation rounded (the explicit
// conversion keeps the compiler from fusing them).
func addScaledGo64(d, b []float64, alpha float64) {
	b = b[:len(d)]
	for i := range d {
		d[i] += float64(b[i] * alpha)
	}
}

// addcmulGo64 is d = d + (v·b)·c, each operation rounded.
func addcmulGo64(d, b, c []float64, v float64) {
	b, c = b[:len(d)], c[:len(d)]
	for i := range d {
		d[i] += float64(float64(b[i]*v) * c[i])
	}
}

// addcdivGo64 is d = d + (v·b)/c, each operation rounded.
func addcdivGo64(d, b, c []float64, v float64) {
	b, c = b[:len(d)], c[:len(d)]
	for i := range d {
		d[i] += float64(b[i]*v) / c[i]
	}
}
