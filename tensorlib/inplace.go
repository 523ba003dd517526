package tensorlib

// In-place ops, named …InPlace (PyTorch's trailing underscore). Each bumps the
// storage's version counter, so a tensor saved for backward and modified
// afterwards is reported by Backward instead of giving a wrong gradient.
// Arithmetic on contiguous float tensors outside autograd runs as one
// kernel pass over t's own storage (inplace_fast.go); the rest computes out
// of place and copies the result in.

// inPlace computes compute(t) out of place and writes the result into t.
func (t *Tensor) inPlace(op string, compute func(x *Tensor) *Tensor) *Tensor {
	if IsGradEnabled() {
		if t.requiresGrad && t.gradFn == nil {
			failShapes(op, [][]int{t.shape}, "a leaf Variable that requires grad is being used in an in-place operation")
		}
		if t.base != nil && t.base.RequiresGrad() {
			failShapes(op, [][]int{t.shape}, "in-place modification of a view of a tensor that requires grad is not supported; use the out-of-place op")
		}
	}
	// compute sees an alias of t, so that when the op saves its input for
	// backward (as Mul and Clamp do) the alias can be given a copy of the
	// values before t is overwritten, as PyTorch saves self.clone().
	x := &Tensor{dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset, st: t.st,
		requiresGrad: t.requiresGrad, gradFn: t.gradFn, base: t.base, name: t.name}
	r := compute(x)
	if r.gradFn != nil {
		for _, s := range r.gradFn.saved {
			if s.t == x {
				x.st = &storage{data: convertTo(t, t.dtype), version: t.st.version}
				x.strides, x.offset, x.base = contiguousStrides(t.shape), 0, nil
				break
			}
		}
	}
	if r.dtype.category() > t.dtype.category() {
		failShapes(op, [][]int{t.shape}, "result type %v can't be cast to the desired output type %v", r.dtype, t.dtype)
	}
	if !sameShape(broadcastShapes(op, t.shape, r.shape), t.shape) {
		failShapes(op, [][]int{t.shape, r.shape}, "output with shape %s doesn't match the broadcast shape %s", shapeString(t.shape), shapeString(r.shape))
	}
	t.assign(r)
	t.st.version++
	if r.gradFn != nil {
		t.gradFn = r.gradFn
		t.gradFn.outShape = t.shape
	}
	return t
}

// AddInPlace adds b to t in place and returns t.
func (t *Tensor) AddInPlace(b *Tensor) *Tensor {
	if t.inPlaceBinaryFast(binAdd, b) {
		return t
	}
	return t.inPlace("AddInPlace", func(x *Tensor) *Tensor { return x.Add(b) })
}

// SubInPlace subtracts b from t in place.
func (t *Tensor) SubInPlace(b *Tensor) *Tensor {
	if t.inPlaceBinaryFast(binSub, b) {
		return t
	}
	return t.inPlace("SubInPlace", func(x *Tensor) *Tensor { return x.Sub(b) })
}

// MulInPlace multiplies t by b in place.
func (t *Tensor) MulInPlace(b *Tensor) *Tensor {
	if t.inPlaceBinaryFast(binMul, b) {
		return t
	}
	return t.inPlace("MulInPlace", func(x *Tensor) *Tensor { return x.Mul(b) })
}

// DivInPlace divides t by b in place.
func (t *Tensor) DivInPlace(b *Tensor) *Tensor {
	if t.inPlaceBinaryFast(binDiv, b) {
		return t
	}
	return t.inPlace("DivInPlace", func(x *Tensor) *Tensor { return x.Div(b) })
}

// AddScalarInPlace adds s to t in place.
func (t *Tensor) AddScalarInPlace(s float64) *Tensor {
	if t.inPlaceScalarFast(binAdd, s) {
		return t
	}
	return t.inPlace("AddScalarInPlace", func(x *Tensor) *Tensor { return x.AddScalar(s) })
}

// MulScalarInPlace multiplies t by s in place.
func (t *Tensor) MulScalarInPlace(s float64) *Tensor {
	if t.inPlaceScalarFast(binMul, s) {
		return t
	}
	return t.inPlace("MulScalarInPlace", func(x *Tensor) *Tensor { return x.MulScalar(s) })
}

// DivScalarInPlace divides t by s in place (PyTorch's div_ with a number).
func (t *Tensor) DivScalarInPlace(s float64) *Tensor {
	if t.inPlaceScalarFast(binDiv, s) {
		return t
	}
	return t.inPlace("DivScalarInPlace", func(x *Tensor) *Tensor { return x.DivScalar(s) })
}

// SqrtInPlace replaces t by its square root in place (PyTorch's sqrt_).
func (t *Tensor) SqrtInPlace() *Tensor {
	if t.inPlaceUnaryFast(unSqrt) {
		return t
	}
	return t.inPlace("SqrtInPlace", func(x *Tensor) *Tensor { return x.Sqrt() })
}

// ClampInPlace clamps t to [lo, hi] in place.
func (t *Tensor) ClampInPlace(lo, hi float64) *Tensor {
	return t.inPlace("ClampInPlace", func(x *Tensor) *Tensor { return x.Clamp(lo, hi) })
}

// ReLUInPlace applies ReLU to t in place.
func (t *Tensor) ReLUInPlace() *Tensor {
	return t.inPlace("ReLUInPlace", func(x *Tensor) *Tensor { return x.ReLU() })
}

// MaskedFillInPlace sets t to value where mask is true, in place.
func (t *Tensor) MaskedFillInPlace(mask *Tensor, value float64) *Tensor {
	return t.inPlace("MaskedFillInPlace", func(x *Tensor) *Tensor { return x.MaskedFill(mask, value) })
}

// CopyInPlace copies src (broadcast, converted to t's dtype) into t. The
// gradient goes to src; t's previous values get a zero gradient.
func (t *Tensor) CopyInPlace(src *Tensor) *Tensor {
	return t.inPlace("CopyInPlace", func(x *Tensor) *Tensor {
		if !needsGrad(x, src) {
			return src.castForKernel(x.dtype)
		}
		r := fromData(x.dtype, convertTo(src.Detach().Expand(x.shape...), x.dtype), x.shape)
		record(r, "CopyBackwards", []*Tensor{x, src}, nil, func(g *Tensor) []*Tensor {
			return []*Tensor{ZerosLike(x), gradFor(g, src)}
		})
		return r
	})
}

// overwritten records on r, new values that do not depend on x, the node
// name sending x a zero gradient, so the history of the tensor an in-place
// fill overwrites gets no gradient through it (as PyTorch's fill_ does).
func overwritten(r, x *Tensor, name string) *Tensor {
	if needsGrad(x) {
		record(r, name, []*Tensor{x}, nil, func(g *Tensor) []*Tensor { return []*Tensor{ZerosLike(x)} })
	}
	return r
}

// FillInPlace sets every element of t to v.
func (t *Tensor) FillInPlace(v float64) *Tensor {
	if t.inPlaceFillFast(v) {
		return t
	}
	return t.inPlace("FillInPlace", func(x *Tensor) *Tensor {
		return overwritten(scalarTensor(v, x.dtype), x, "FillBackward2")
	})
}

// ZeroInPlace sets every element of t to zero (errors name FillInPlace).
func (t *Tensor) ZeroInPlace() *Tensor {
	if t.inPlaceFillFast(0) {
		return t
	}
	return t.inPlace("FillInPlace", func(x *Tensor) *Tensor {
		return overwritten(scalarTensor(0, x.dtype), x, "ZeroBackward0")
	})
}

// UniformInPlace fills t with values uniform on [from, to) from the default
// generator (nn initialisers use it).
func (t *Tensor) UniformInPlace(from, to float64) *Tensor {
	return t.inPlace("UniformInPlace", func(x *Tensor) *Tensor {
		r := New(floatOr(x.dtype), x.shape...)
		DefaultGenerator().fillUniform(r, from, to)
		return overwritten(r, x, "UniformBackward0")
	})
}

// NormalInPlace fills t with values from N(mean, std²) from the default
// generator.
func (t *Tensor) NormalInPlace(mean, std float64) *Tensor {
	return t.inPlace("NormalInPlace", func(x *Tensor) *Tensor {
		r := New(floatOr(x.dtype), x.shape...)
		DefaultGenerator().fillNormal(r, mean, std)
		return overwritten(r, x, "NormalBackward0")
	})
}
